using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Api;

/// <summary>The body of <c>POST /api/users</c>.</summary>
internal sealed record CreateUserRequest(string? Username, string? Password, string? Role);

/// <summary>The body of <c>PUT /api/users/{name}/role</c>.</summary>
internal sealed record SetRoleRequest(string? Role);

/// <summary>The body of <c>PUT /api/users/{name}/password</c>.</summary>
internal sealed record SetPasswordRequest(string? Password);

/// <summary><c>/api/users</c>: admin only.</summary>
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
            switch (await users.DeleteAsync(name, context.RequestAborted).ConfigureAwait(false))
            {
                case UserChangeOutcome.NotFound:
                    return NoSuchUser(name);
                case UserChangeOutcome.LastAdmin:
                    return LastAdmin(name, "deleted");
            }

            // A deleted user's credentials go with them: refresh tokens and the API keys they created.
            var revoked = await refresh.RevokeUserAsync(name, context.RequestAborted).ConfigureAwait(false);
            var revokedKeys = await keys.RevokeCreatedByAsync(name, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.UserChanged, name, context, reason: $"deleted; {revoked} refresh token(s) and {revokedKeys} API key(s) revoked", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("DeleteUser");

        api.MapPut("/users/{name}/role", async (string name, SetRoleRequest body, HttpContext context, UserAccounts users, SecurityAudit audit) =>
        {
            var before = await users.GetAsync(name, context.RequestAborted).ConfigureAwait(false);
            var (outcome, errors) = await users.SetRoleAsync(name, body.Role, context.RequestAborted).ConfigureAwait(false);
            switch (outcome)
            {
                case UserChangeOutcome.Invalid:
                    return ApiResults.Unprocessable(errors);
                case UserChangeOutcome.NotFound:
                    return NoSuchUser(name);
                case UserChangeOutcome.LastAdmin:
                    return LastAdmin(name, "demoted");
                case UserChangeOutcome.Changed:
                    await audit.RecordAsync(AuditEventTypes.UserChanged, name, context, reason: $"role changed from {before?.Role} to {body.Role}", cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    break;
            }

            var user = (await users.GetAsync(name, context.RequestAborted).ConfigureAwait(false))!;
            return ApiResults.Json(new UserView(user.Username, user.Role, user.CreatedAt));
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("SetUserRole");

        api.MapPut("/users/{name}/password", async (string name, SetPasswordRequest body, HttpContext context, UserAccounts users, RefreshTokens refresh, SecurityAudit audit) =>
        {
            var (outcome, errors) = await users.SetPasswordAsync(name, body.Password, context.RequestAborted).ConfigureAwait(false);
            switch (outcome)
            {
                case UserChangeOutcome.Invalid:
                    return ApiResults.Unprocessable(errors);
                case UserChangeOutcome.NotFound:
                    return NoSuchUser(name);
            }

            // The new security stamp already refuses the user's access tokens; their refresh tokens go too.
            var revoked = await refresh.RevokeUserAsync(name, context.RequestAborted).ConfigureAwait(false);
            await audit.RecordAsync(AuditEventTypes.UserChanged, name, context, reason: $"password set by an admin; {revoked} refresh token(s) revoked", cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return Results.NoContent();
        }).RequireAuthorization(OrbitMeshPolicies.Admin).WithName("SetUserPassword");

        return api;
    }

    private static IResult NoSuchUser(string name) => ApiResults.NotFound($"No user named '{name}'.");

    private static IResult LastAdmin(string name, string what) =>
        ApiResults.Conflict($"'{name}' is the last admin and cannot be {what}; give another user the admin role first.");
}
