using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OrbitMesh.Server.Hosting;

namespace OrbitMesh.Server.Health;

/// <summary>Ready when the liveness monitor and the dispatcher run and the server is not shutting down.</summary>
internal sealed class OrbitMeshReadinessCheck(AgentMonitorService monitor, Jobs.JobDispatcherService dispatcher, OrbitMesh.Storage.IStorageHealth storage, IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The server is shutting down."));
        }

        if (storage.Problem is { } problem)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("Storage cannot take writes: " + problem));
        }

        if (!dispatcher.IsRunning)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The job dispatcher is not running."));
        }

        return Task.FromResult(monitor.IsRunning
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The agent liveness monitor is not running."));
    }
}
