using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Api;

/// <summary>The body of <c>POST /api/api-keys</c>.</summary>
internal sealed record CreateApiKeyRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt);

/// <summary><c>/api/api-keys</c>: admin only.</summary>
internal static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeyEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/api-keys", async (CreateApiKeyRequest body, HttpContext context, ApiKeys keys, SecurityAudit audit, TimeProvider time) =>
        {
            var errors = new List<string>();
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 128)
            {
                errors.Add("The name must be 1 to 128 characters.");
            }

            if (!OrbitMeshRoles.IsKnown(body.Role))
            {
                errors.Add($"The role must be one of: {string.Join(", ", OrbitMeshRoles.All)}.");
            }

            if (body.ExpiresAt is { } expires && expires <= time.GetUtcNow())
            {
                errors.Add("expiresAt must be in the future.");
            }

            if (errors.Count > 0)
            {
                return ApiResults.Unprocessable(errors);
            }

            var created = await keys.CreateAsync(body.Name!, body.Role!, SecurityAudit.ActorOf(context.User), body.ExpiresAt, context.RequestAborted).ConfigureAwait(false);
            var expiry = created.ExpiresAt is { } at ? ", expiring " + at.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "";
            await audit.RecordAsync(AuditEventTypes.ApiKeyChanged, created.Id, context, reason: $"created '{created.Name}' with role {created.Role}{expiry}", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return ApiResults.Json(created, StatusCodes.Status201Created);
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("CreateApiKey");

        api.MapGet("/api-keys", async (ApiKeys keys, CancellationToken ct) => ApiResults.Json(await keys.ListAsync(ct).ConfigureAwait(false)))
            .RequireAuthorization(OrbitMeshPolicies.Admin).WithName("ListApiKeys");

        api.MapDelete("/api-keys/{id}", async (string id, HttpContext context, ApiKeys keys, SecurityAudit audit) =>
        {
            if (!await keys.RevokeAsync(id, context.RequestAborted).ConfigureAwait(false))
            {
                return ApiResults.NotFound($"No API key with id '{id}'.");
            }

            await audit.RecordAsync(AuditEventTypes.ApiKeyChanged, id, context, reason: "revoked", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("RevokeApiKey");

        return api;
    }
}
