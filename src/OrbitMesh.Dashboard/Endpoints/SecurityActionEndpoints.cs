using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Dashboard.Components.Pages;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Security;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>
/// The admin's actions on API keys and users (<c>{prefix}/actions/api-keys</c>, <c>.../users</c>): the
/// same services, checks and audit events as <c>/api/api-keys</c> and <c>/api/users</c>, behind the
/// dashboard's session, the admin role and the form's antiforgery token (both checked by the group).
/// </summary>
internal static class SecurityActionEndpoints
{
    /// <summary>The longest expiry the form accepts: ten years.</summary>
    private const double MaxExpiryDays = 3650;

    public static void MapSecurityActionEndpoints(this RouteGroupBuilder actions)
    {
        actions.MapPost("/api-keys", CreateApiKeyAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/api-keys/{id}/revoke", RevokeApiKeyAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/users", CreateUserAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
        actions.MapPost("/users/{name}/role", SetRoleAsync).RequireAuthorization(DashboardAuthenticationDefaults.AdminPolicy);
    }

    private static async Task<IResult> CreateApiKeyAsync(HttpContext context, DashboardRoute route, ApiKeys keys, SecurityAudit audit, TimeProvider time)
    {
        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct).ConfigureAwait(false);
        var name = form["name"].ToString().Trim();
        var role = form["role"].ToString();
        var days = form["expiresInDays"].ToString().Trim();
        var errors = new List<string>();
        if (name.Length is < 1 or > 128)
        {
            errors.Add("The name must be 1 to 128 characters.");
        }

        if (!OrbitMeshRoles.IsKnown(role))
        {
            errors.Add($"The role must be one of: {string.Join(", ", OrbitMeshRoles.All)}.");
        }

        DateTimeOffset? expiresAt = null;
        if (days.Length > 0)
        {
            if (double.TryParse(days, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 && d <= MaxExpiryDays)
            {
                expiresAt = time.GetUtcNow().AddDays(d);
            }
            else
            {
                errors.Add($"The expiry must be a number of days above 0 and up to {MaxExpiryDays}, or empty for a key that does not expire.");
            }
        }

        if (errors.Count > 0)
        {
            return await ActionEndpoints.BackAsync(context, route, string.Join(" ", errors)).ConfigureAwait(false);
        }

        var created = await keys.CreateAsync(name, role, SecurityAudit.ActorOf(context.User), expiresAt, ct).ConfigureAwait(false);
        var expiry = created.ExpiresAt is { } at ? ", expiring " + at.ToString("u", CultureInfo.InvariantCulture) : "";
        await audit.RecordAsync(AuditEventTypes.ApiKeyChanged, created.Id, context, reason: $"created '{created.Name}' with role {created.Role}{expiry} in the dashboard", cancellationToken: ct).ConfigureAwait(false);

        // Shown once, in this answer only: never stored in clear, never put in a URL.
        context.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<ApiKeyCreated>(new Dictionary<string, object?>
        {
            [nameof(ApiKeyCreated.Key)] = created,
            [nameof(ApiKeyCreated.BaseHref)] = DashboardRoute.BaseHref,
        });
    }

    private static async Task<IResult> RevokeApiKeyAsync(HttpContext context, DashboardRoute route, ApiKeys keys, SecurityAudit audit, string id)
    {
        if (!await keys.RevokeAsync(id, context.RequestAborted).ConfigureAwait(false))
        {
            return await ActionEndpoints.BackAsync(context, route, $"No API key {id} exists.").ConfigureAwait(false);
        }

        await audit.RecordAsync(AuditEventTypes.ApiKeyChanged, id, context, reason: "revoked in the dashboard", cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return await ActionEndpoints.BackAsync(context, route, $"API key {id} revoked.").ConfigureAwait(false);
    }

    private static async Task<IResult> CreateUserAsync(HttpContext context, DashboardRoute route, UserAccounts users, SecurityAudit audit)
    {
        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct).ConfigureAwait(false);
        var username = form["username"].ToString().Trim();
        var role = form["role"].ToString();
        var (outcome, errors) = await users.CreateAsync(username, form["password"].ToString(), role, ct).ConfigureAwait(false);
        if (outcome != UserCreateOutcome.Created)
        {
            return await ActionEndpoints.BackAsync(context, route, string.Join(" ", errors)).ConfigureAwait(false);
        }

        await audit.RecordAsync(AuditEventTypes.UserChanged, username, context, reason: $"created with role {role} in the dashboard", cancellationToken: ct).ConfigureAwait(false);
        return await ActionEndpoints.BackAsync(context, route, $"User {username} created with role {role}.").ConfigureAwait(false);
    }

    private static async Task<IResult> SetRoleAsync(HttpContext context, DashboardRoute route, UserAccounts users, SecurityAudit audit, string name)
    {
        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct).ConfigureAwait(false);
        var role = form["role"].ToString();
        var before = await users.GetAsync(name, ct).ConfigureAwait(false);
        var (outcome, errors) = await users.SetRoleAsync(name, role, ct).ConfigureAwait(false);
        var note = outcome switch
        {
            UserChangeOutcome.Invalid => string.Join(" ", errors),
            UserChangeOutcome.NotFound => $"No user named {name}.",
            UserChangeOutcome.LastAdmin => $"{name} is the last admin and cannot be demoted; give another user the admin role first.",
            UserChangeOutcome.Changed => $"{name} is now {role}.",
            _ => $"{name} already is {role}.",
        };
        if (outcome == UserChangeOutcome.Changed)
        {
            await audit.RecordAsync(AuditEventTypes.UserChanged, name, context, reason: $"role changed from {before?.Role} to {role} in the dashboard", cancellationToken: ct).ConfigureAwait(false);
        }

        return await ActionEndpoints.BackAsync(context, route, note).ConfigureAwait(false);
    }
}
