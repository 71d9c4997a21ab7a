using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrbitMesh.Server.Cluster;

/// <summary>
/// Not ready while Redis cannot be reached (this server's view of the cluster is stale and agents on other servers are
/// out of reach), or while its job lease cannot be renewed in the shared store (it claims no work meanwhile).
/// </summary>
internal sealed class ClusterReadinessCheck(RedisClusterDirectory directory, ClusterJobIntake intake) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!directory.Reachable
            ? HealthCheckResult.Unhealthy("Redis cannot be reached: agents on other servers are out of reach and the cluster's agent list is stale.")
            : intake.Problem is { } problem
                ? HealthCheckResult.Unhealthy($"This server claims no jobs: {problem}")
                : HealthCheckResult.Healthy($"on the Redis backplane as {directory.ServerId}, {directory.Remote.Count} agents on other servers"));
}
