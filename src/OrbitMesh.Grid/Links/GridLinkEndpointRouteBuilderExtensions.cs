using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh;
using OrbitMesh.Grid;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Orbit Grid's direct-link copy route on the server.</summary>
public static class GridLinkEndpointRouteBuilderExtensions
{
    /// <summary>The copy route.</summary>
    public const string CopiesRoute = "/api/grid/copies";

    /// <summary>
    /// Maps <c>POST /api/grid/copies</c> (<see cref="GridLinkCopyRequest"/> in, <see cref="GridLinkCopyResult"/> out,
    /// once the file is verified), behind <paramref name="authorizationPolicy"/> (the server's operator policy).
    /// A star's refusal answers 502 with the star's code (<c>not_allowed</c>, <c>digest_mismatch</c>, <c>link_failed</c>, ...).
    /// </summary>
    public static RouteHandlerBuilder MapGridLinkCopies(this IEndpointRouteBuilder endpoints, string authorizationPolicy)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(authorizationPolicy);
        if (endpoints.ServiceProvider.GetService<GridLinkCopier>() is null)
        {
            throw new InvalidOperationException("Call services.AddGridLinkCopier() before MapGridLinkCopies().");
        }

        return endpoints.MapPost(CopiesRoute, async (GridLinkCopyRequest? request, GridLinkCopier copier, CancellationToken cancellationToken) =>
        {
            if (request is null || string.IsNullOrEmpty(request.SourceAgentId) || string.IsNullOrEmpty(request.SourcePath)
                || string.IsNullOrEmpty(request.TargetAgentId) || string.IsNullOrEmpty(request.TargetPath))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "sourceAgentId, sourcePath, targetAgentId and targetPath are required.",
                    extensions: new Dictionary<string, object?> { ["code"] = MeshErrorCodes.BadRequest });
            }

            try
            {
                return Results.Json(await copier.CopyFileAsync(request.SourceAgentId, request.SourcePath, request.TargetAgentId, request.TargetPath, cancellationToken).ConfigureAwait(false), OrbitMeshJson.Options);
            }
            catch (MeshInvocationException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status502BadGateway, detail: ex.Message, extensions: new Dictionary<string, object?> { ["code"] = ex.Code });
            }
        }).RequireAuthorization(authorizationPolicy).WithName("GridLinkCopy");
    }
}
