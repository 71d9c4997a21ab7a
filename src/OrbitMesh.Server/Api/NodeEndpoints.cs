using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Security;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Api;

/// <summary><c>/api/nodes</c>: enrolled nodes and pending requests; approve, reject, revoke, remove.</summary>
internal static class NodeEndpoints
{
    public static RouteGroupBuilder MapNodeEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/nodes", async (NodeService nodes, string? status, CancellationToken ct) =>
        {
            NodeStatus? wanted = null;
            if (!string.IsNullOrEmpty(status))
            {
                var name = Array.Find(Enum.GetNames<NodeStatus>(), n => string.Equals(n, status, StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    return ApiResults.BadRequest($"Unknown status '{status}'; expected one of: {string.Join(", ", Enum.GetNames<NodeStatus>())}.");
                }

                wanted = Enum.Parse<NodeStatus>(name);
            }

            return ApiResults.Json(await nodes.ListAsync(wanted, ct).ConfigureAwait(false));
        }).WithName("ListNodes");

        api.MapGet("/nodes/{id}", async (NodeService nodes, string id, CancellationToken ct) =>
            await nodes.GetAsync(NodeId(id), ct).ConfigureAwait(false) is { } node
                ? ApiResults.Json(node)
                : ApiResults.NotFound($"No node with id '{id}' is enrolled.")).WithName("GetNode");

        api.MapPost("/nodes/{id}/approve", (HttpContext context, NodeService nodes, string id) =>
            DecideAsync(context, id, nodes.ApproveAsync)).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("ApproveNode");
        api.MapPost("/nodes/{id}/reject", (HttpContext context, NodeService nodes, string id) =>
            DecideAsync(context, id, nodes.RejectAsync)).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("RejectNode");
        api.MapPost("/nodes/{id}/revoke", (HttpContext context, NodeService nodes, string id) =>
            DecideAsync(context, id, nodes.RevokeAsync)).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("RevokeNode");

        api.MapDelete("/nodes/{id}", async (HttpContext context, NodeService nodes, string id) =>
            await nodes.RemoveAsync(NodeId(id), context, context.RequestAborted).ConfigureAwait(false)
                ? Results.NoContent()
                : ApiResults.NotFound($"No node with id '{id}' is enrolled.")).RequireAuthorization(Security.OrbitMeshPolicies.Admin).WithName("RemoveNode");
        return api;
    }

    /// <summary>
    /// The node id from the path. Routing leaves <c>%2F</c> encoded in a segment, so a node enrolled by an
    /// older server with a <c>/</c> in its id (enrollment now refuses such ids) can still be decided on and removed.
    /// </summary>
    private static string NodeId(string segment) => segment.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(segment) : segment;

    private static async Task<IResult> DecideAsync(
        HttpContext context, string id, Func<string, NodeDecision, HttpContext, CancellationToken, Task<(NodeView? Node, int Code, string? Problem)>> decide)
    {
        // The body is optional: no body means "as requested" (approve) or "no reason given".
        var decision = new NodeDecision();
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await JobEndpoints.ReadBodyAsync<NodeDecision>(context).ConfigureAwait(false);
            if (body is null)
            {
                return problem!;
            }

            decision = body;
        }

        var (node, code, detail) = await decide(NodeId(id), decision, context, context.RequestAborted).ConfigureAwait(false);
        return node is not null ? ApiResults.Json(node) : EnrollmentEndpoints.Problem(code, detail!);
    }
}
