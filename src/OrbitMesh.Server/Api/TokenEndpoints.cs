using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Security;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Api;

/// <summary><c>/api/tokens</c>: bootstrap tokens (admin).</summary>
internal static class TokenEndpoints
{
    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/tokens", async (HttpContext context, BootstrapTokenService tokens) =>
        {
            var (request, problem) = await JobEndpoints.ReadBodyAsync<BootstrapTokenRequest>(context).ConfigureAwait(false);
            if (request is null)
            {
                return problem!;
            }

            var (token, invalid) = await tokens.CreateAsync(request, context, context.RequestAborted).ConfigureAwait(false);
            return token is null ? ApiResults.BadRequest(invalid!) : ApiResults.Json(token, StatusCodes.Status201Created);
        }).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("CreateBootstrapToken");

        api.MapGet("/tokens", async (BootstrapTokenService tokens, CancellationToken ct) =>
            ApiResults.Json(await tokens.ListAsync(ct).ConfigureAwait(false))).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("ListBootstrapTokens");

        api.MapDelete("/tokens/{id}", async (HttpContext context, BootstrapTokenService tokens, string id) =>
            await tokens.RevokeAsync(id, context, context.RequestAborted).ConfigureAwait(false)
                ? Results.NoContent()
                : ApiResults.NotFound($"No bootstrap token with id '{id}' exists.")).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("RevokeBootstrapToken");
        return api;
    }
}
