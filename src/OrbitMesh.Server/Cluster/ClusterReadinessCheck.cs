using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrbitMesh.Server.Cluster;

/// <summary>Not ready while Redis cannot be reached: this server's view of the cluster is stale and agents on other servers are out of reach.</summary>
internal sealed class ClusterReadinessCheck(RedisClusterDirectory directory) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(directory.Reachable
            ? HealthCheckResult.Healthy($"on the Redis backplane as {directory.ServerId}, {directory.Remote.Count} agents on other servers")
            : HealthCheckResult.Unhealthy("Redis cannot be reached: agents on other servers are out of reach and the cluster's agent list is stale."));
}
