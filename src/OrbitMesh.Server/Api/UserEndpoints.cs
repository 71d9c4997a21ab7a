using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Api;

/// <summary>The body of <c>POST /api/users</c>.</summary>
internal sealed record CreateUserRequest(string? Username, string? Password, string? Role);

/// <summary>The body of <c>POST /api/api-keys</c>.</summary>
internal sealed record CreateApiKeyRequest(string? Name, string? Role);

/// <summary><c>/api/users</c> and <c>/api/api-keys</c>: admin only.</summary>
internal static class UserEndpoints
{
    public static RouteGroupBuilder MapUserEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/users", async (CreateUserRequest body, HttpContext context, UserAccounts users, SecurityAudit audit) =>
        {
            var (outcome, errors) = await users.CreateAsync(body.Username, body.Password, body.Role, context.RequestAborted).ConfigureAwait(false);
            switch (outcome)
            {
                case UserCreateOutcome.Invalid:
                    return ApiResults.Unprocessable(errors);
                case UserCreateOutcome.Exists:
                    return ApiResults.Conflict(errors[0]);
                default:
                    await audit.RecordAsync(AuditEventTypes.UserChanged, body.Username, context, reason: "created with role " + body.Role, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    var created = (await users.GetAsync(body.Username!, context.RequestAborted).ConfigureAwait(false))!;
                    return ApiResults.Json(new UserView(created.Username, created.Role, created.CreatedAt), StatusCodes.Status201Created);
            }
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("CreateUser");

        api.MapGet("/users", async (UserAccounts users, CancellationToken ct) => ApiResults.Json(await users.ListAsync(ct).ConfigureAwait(false)))
            .RequireAuthorization(OrbitMeshPolicies.Admin).WithName("ListUsers");

        api.MapDelete("/users/{name}", async (string name, HttpContext context, UserAccounts users, RefreshTokens refresh, ApiKeys keys, SecurityAudit audit) =>
        {
            if (!await users.DeleteAsync(name, context.RequestAborted).ConfigureAwait(false))
            {
                return ApiResults.NotFound($"No user named '{name}'.");
            }

            // A deleted user's credentials go with them: refresh tokens and the API keys they created.
            var revoked = await refresh.RevokeUserAsync(name, context.RequestAborted).ConfigureAwait(false);
            var revokedKeys = await keys.RevokeCreatedByAsync(name, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.UserChanged, name, context, reason: $"deleted; {revoked} refresh token(s) and {revokedKeys} API key(s) revoked", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("DeleteUser");

        api.MapPost("/api-keys", async (CreateApiKeyRequest body, HttpContext context, ApiKeys keys, SecurityAudit audit) =>
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

            if (errors.Count > 0)
            {
                return ApiResults.Unprocessable(errors);
            }

            var created = await keys.CreateAsync(body.Name!, body.Role!, SecurityAudit.ActorOf(context.User), context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.ApiKeyChanged, created.Id, context, reason: $"created '{created.Name}' with role {created.Role}", cancellationToken: context.RequestAborted).ConfigureAwait(false);
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
