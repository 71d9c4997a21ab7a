using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Security;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Api;

/// <summary>
/// <c>/api/enroll</c>: what a node calls before it has a certificate, without other credentials: ask to
/// join with a bootstrap token, get a challenge nonce, prove its key to learn its status and fetch its
/// certificate (renewed near expiry).
/// </summary>
internal static class EnrollmentEndpoints
{
    public static RouteGroupBuilder MapEnrollmentEndpoints(this RouteGroupBuilder api)
    {
        // What a node calls before it holds a certificate: no API credentials (a bootstrap token or a
        // proof of the enrolled key instead), rate-limited per remote address.
        api.MapPost("/enroll", async (HttpContext context, NodeService nodes) =>
        {
            var (request, problem) = await JobEndpoints.ReadBodyAsync<EnrollmentRequest>(context).ConfigureAwait(false);
            if (request is null)
            {
                return problem!;
            }

            var (status, code, detail) = await nodes.RequestAsync(request, context, context.RequestAborted).ConfigureAwait(false);
            return status is not null ? ApiResults.Json(status, code) : Problem(code, detail!);
        }).AllowAnonymous().RequireRateLimiting(OrbitMeshPolicies.EnrollmentRateLimit).WithName("RequestEnrollment");

        api.MapPost("/enroll/challenge", async (HttpContext context, NodeService nodes) =>
        {
            var (request, problem) = await JobEndpoints.ReadBodyAsync<ChallengeRequest>(context).ConfigureAwait(false);
            if (request is null)
            {
                return problem!;
            }

            if (string.IsNullOrEmpty(request.NodeId) || !Protocol.RegistrationValidator.IsValidAgentId(request.NodeId))
            {
                return ApiResults.BadRequest("nodeId is required.");
            }

            // Answered for any id, enrolled or not, so the endpoint does not tell which ids exist.
            return nodes.Challenges.Issue(request.NodeId) is { } challenge
                ? ApiResults.Json(challenge)
                : ApiResults.Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "Too many outstanding challenges; try again shortly.");
        }).AllowAnonymous().RequireRateLimiting(OrbitMeshPolicies.EnrollmentRateLimit).WithName("IssueNodeChallenge");

        api.MapPost("/enroll/status", async (HttpContext context, NodeService nodes) =>
        {
            var (request, problem) = await JobEndpoints.ReadBodyAsync<StatusRequest>(context).ConfigureAwait(false);
            if (request is null)
            {
                return problem!;
            }

            var (status, code, detail) = await nodes.StatusAsync(request, context, context.RequestAborted).ConfigureAwait(false);
            return status is not null ? ApiResults.Json(status, code) : Problem(code, detail!);
        }).AllowAnonymous().RequireRateLimiting(OrbitMeshPolicies.EnrollmentRateLimit).WithName("GetEnrollmentStatus");
        return api;
    }

    internal static IResult Problem(int code, string detail) => code switch
    {
        StatusCodes.Status400BadRequest => ApiResults.BadRequest(detail),
        StatusCodes.Status404NotFound => ApiResults.NotFound(detail),
        StatusCodes.Status409Conflict => ApiResults.Conflict(detail),
        StatusCodes.Status401Unauthorized => ApiResults.Problem(code, "unauthorized", detail),
        _ => ApiResults.Problem(code, "error", detail),
    };
}
