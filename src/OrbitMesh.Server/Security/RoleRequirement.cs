using Microsoft.AspNetCore.Authorization;

namespace OrbitMesh.Server.Security;

/// <summary>Requires an identity whose <c>role</c> claim includes <see cref="Role"/> (<see cref="OrbitMeshRoles.Includes"/>).</summary>
internal sealed class RoleRequirement(string role) : AuthorizationHandler<RoleRequirement>, IAuthorizationRequirement
{
    public string Role { get; } = role;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated == true &&
            OrbitMeshRoles.Includes(context.User.FindFirst(ApiAuthenticationDefaults.RoleClaim)?.Value, requirement.Role))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
