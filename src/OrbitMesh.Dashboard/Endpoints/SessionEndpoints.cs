using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Dashboard.Hosting;
using OrbitMesh.Dashboard.Security;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Dashboard.Endpoints;

/// <summary>Sign-in (the existing user accounts, throttled and audited like the API's login) and sign-out.</summary>
internal static class SessionEndpoints
{
    public static void MapSessionEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/sign-in", LoginAsync)
            .AllowAnonymous()
            .RequireRateLimiting(OrbitMeshPolicies.LoginRateLimit)
            .AddEndpointFilter(AntiforgeryCheck.RequireValidTokenAsync)
            .DisableAntiforgery()
            .ExcludeFromDescription();
        group.MapPost("/sign-out", LogoutAsync)
            .RequireAuthorization(DashboardAuthenticationDefaults.ViewerPolicy)
            .AddEndpointFilter(AntiforgeryCheck.RequireValidTokenAsync)
            .DisableAntiforgery()
            .ExcludeFromDescription();
    }

    private static async Task<IResult> LoginAsync(HttpContext context, DashboardRoute route, UserAccounts users, LoginThrottle throttle, SecurityAudit audit)
    {
        var ct = context.RequestAborted;
        var form = await context.Request.ReadFormAsync(ct).ConfigureAwait(false);
        var username = form["username"].ToString();
        var password = form["password"].ToString();
        var returnUrl = route.LocalOrHome(form["returnUrl"].ToString());
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        string LoginPage(string error) => route.Prefix.Value + "/login?error=" + error + "&returnUrl=" + Uri.EscapeDataString(returnUrl);

        if (username.Length == 0 || password.Length == 0)
        {
            return Results.Redirect(LoginPage("missing"));
        }

        if (throttle.RetryAfter(username, address) is not null)
        {
            await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, username, context, success: false, reason: "dashboard: too many failed logins for this account from this address", actor: "anonymous", ct).ConfigureAwait(false);
            return Results.Redirect(LoginPage("throttled"));
        }

        var (user, failure) = await users.VerifyAsync(username, password, ct).ConfigureAwait(false);
        if (user is null)
        {
            throttle.RecordFailure(username, address);
            await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, username, context, success: false, reason: "dashboard: " + failure, actor: "anonymous", ct).ConfigureAwait(false);
            return Results.Redirect(LoginPage("wrong"));
        }

        throttle.RecordSuccess(username, address);
        await context.SignInAsync(DashboardAuthenticationDefaults.CookieScheme, DashboardPrincipal.Create(user.Username, user.Role, user.SecurityStamp)).ConfigureAwait(false);
        await audit.RecordAsync(AuditEventTypes.Login, user.Username, context, reason: "dashboard", actor: "user:" + user.Username, cancellationToken: ct).ConfigureAwait(false);
        return Results.Redirect(returnUrl);
    }

    private static async Task<IResult> LogoutAsync(HttpContext context, DashboardRoute route)
    {
        await context.SignOutAsync(DashboardAuthenticationDefaults.CookieScheme).ConfigureAwait(false);
        return Results.Redirect(route.Prefix.Value + "/login");
    }
}
