using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Answers a role refusal with 403 <c>application/problem+json</c> naming the role needed, and audits
/// it (<see cref="AuditEventTypes.AccessDenied"/>). Everything else goes to the default handler.
/// </summary>
internal sealed class ApiAuthorizationResultHandler(SecurityAudit audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var needed = authorizeResult.Forbidden
            ? authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<RoleRequirement>().Select(r => r.Role)
                .OrderByDescending(r => OrbitMeshRoles.All.ToList().IndexOf(r)).FirstOrDefault()
            : null;
        if (needed is null)
        {
            await _default.HandleAsync(next, context, policy, authorizeResult).ConfigureAwait(false);
            return;
        }

        var role = context.User.FindFirst(ApiAuthenticationDefaults.RoleClaim)?.Value ?? "none";
        var detail = $"This action requires the {needed} role; this identity has the {role} role.";
        await audit.RecordAsync(AuditEventTypes.AccessDenied, context.Request.Method + " " + context.Request.Path, context, success: false, reason: detail, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await ApiChallenge.WriteProblemAsync(context, StatusCodes.Status403Forbidden, "Forbidden", detail).ConfigureAwait(false);
    }
}
