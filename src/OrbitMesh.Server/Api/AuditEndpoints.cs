using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Api;

/// <summary><c>GET /api/audit</c>: the security audit trail, newest first.</summary>
internal static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (ISecurityStore store, string? type, string? subject, DateTimeOffset? since, long? before, int? limit, CancellationToken ct) =>
        {
            if (limit is < 1 or > AuditQueryExtensions.MaxLimit)
            {
                return ApiResults.BadRequest($"limit must be between 1 and {AuditQueryExtensions.MaxLimit}.");
            }

            var entries = await store.QueryAuditAsync(new AuditQuery { Type = type, Subject = subject, Since = since, Before = before, Limit = limit ?? 100 }, ct).ConfigureAwait(false);
            return ApiResults.Json(entries);
        }).WithName("QueryAudit");
        return api;
    }
}
