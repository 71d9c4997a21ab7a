using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Jobs;

/// <summary>Applies the <see cref="RetentionOptions"/> every <see cref="RetentionOptions.Interval"/>.</summary>
internal sealed partial class JobRetentionService(IJobStore store, IOptions<OrbitMeshServerOptions> options, TimeProvider time, ILogger<JobRetentionService> logger) : BackgroundService
{
    /// <summary>Runs one retention pass now.</summary>
    public async Task<RetentionResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var result = await store.ApplyRetentionAsync(
            now - settings.Retention.EventsAfter,
            now - settings.Retention.JobsAfter,
            now - settings.Jobs.IdempotencyTtl,
            cancellationToken).ConfigureAwait(false);
        if (result.EventsDeleted + result.JobsDeleted + result.KeysDeleted > 0)
        {
            Log.Compacted(logger, result.EventsDeleted, result.JobsDeleted, result.KeysDeleted);
        }

        return result;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Retention.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (StorageUnavailableException ex)
                {
                    Log.Failed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2130, LogLevel.Information, "Retention removed {Events} job events, {Jobs} finished jobs and {Keys} expired idempotency keys.")]
        public static partial void Compacted(ILogger logger, int events, int jobs, int keys);

        [LoggerMessage(2131, LogLevel.Warning, "Retention could not run: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}
