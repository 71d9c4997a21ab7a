using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// The dispatcher: <see cref="JobOptions.DispatcherParallelism"/> workers take jobs from the
/// <see cref="DispatchQueue"/> by priority and place them on agents. A second loop enforces deadlines
/// (leases, timeouts, retry backoff, cancel grace) every 50 ms and re-examines waiting jobs every second.
/// </summary>
internal sealed partial class JobDispatcherService(JobManager jobs, Agents.AgentLifecycleService agents, IOptions<OrbitMeshServerOptions> options, TimeProvider time, ILogger<JobDispatcherService> logger) : BackgroundService
{
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(50);
    private volatile bool _running;

    /// <summary>True while the workers run.</summary>
    public bool IsRunning => _running;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Recover before dispatching, so recovered jobs keep their place and their fencing tokens stay unique.
        await agents.LoadAsync(stoppingToken).ConfigureAwait(false);
        await jobs.RecoverAsync(stoppingToken).ConfigureAwait(false);
        var workers = Enumerable.Range(0, options.Value.Jobs.DispatcherParallelism)
            .Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None))
            .Append(Task.Run(() => TickLoopAsync(stoppingToken), CancellationToken.None))
            .ToArray();
        _running = true;
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string jobId;
            try
            {
                jobId = await jobs.Queue.DequeueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await jobs.TryAssignAsync(jobId, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The job stays Pending in the store; re-queue it so it is not stranded in memory.
                Log.DispatchFailed(logger, jobId, ex);
                jobs.Queue.Unmatched(jobId, JobPriority.Normal);
            }
        }
    }

    private async Task TickLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickPeriod, time);
        var ticks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await jobs.TickAsync(reexamineWaiting: ++ticks % 20 == 0).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.TickFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2120, LogLevel.Error, "Dispatching job {JobId} failed; it will be tried again.")]
        public static partial void DispatchFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(2121, LogLevel.Error, "The job deadline sweep failed.")]
        public static partial void TickFailed(ILogger logger, Exception exception);
    }
}
