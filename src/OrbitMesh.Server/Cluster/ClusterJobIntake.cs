using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Jobs;
using OrbitMesh.Storage;
using StackExchange.Redis;

namespace OrbitMesh.Server.Cluster;

/// <summary>
/// One per server of a cluster: keeps this server's lease in the shared store, and claims the jobs it can serve —
/// Pending jobs one of its agents would take now (up to its free slots), Assigned or Running jobs whose agent is
/// connected here, and orphans (owner gone for longer than a job lease) whose agent is on no server. Woken by a
/// Redis message when a job is submitted anywhere, and every <see cref="RedisBackplaneOptions.JobIntakeInterval"/>.
/// It also cancels jobs held here when another server asks, and releases claimed jobs no agent here takes.
/// </summary>
internal sealed partial class ClusterJobIntake(
    JobManager jobs,
    IClusterDirectory directory,
    IConnectionMultiplexer redis,
    RedisBackplaneOptions options,
    TimeProvider time,
    ILogger<ClusterJobIntake> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private DateTimeOffset _lastRenewal = DateTimeOffset.MinValue;
    private DateTimeOffset _renewedAt = DateTimeOffset.MinValue;
    private volatile string? _problem;

    /// <summary>The Redis channel the servers tell each other about jobs on.</summary>
    public static RedisChannel Channel(RedisBackplaneOptions options) => RedisChannel.Literal(options.ChannelPrefix + ":jobs");

    /// <summary>Why this server claims no work now (its lease cannot be renewed), or null.</summary>
    public string? Problem => _problem;

    private bool _pausedForRedis;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (jobs.Ownership.Shared)
        {
            try
            {
                // A clean stop: the others may take this server's jobs at once instead of after its lease.
                await jobs.Ownership.EndLeaseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StorageUnavailableException or OperationCanceledException)
            {
                Log.LeaseNotEnded(logger, ex.Message);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!jobs.Ownership.Shared)
        {
            return;
        }

        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(Channel(options), (_, message) => OnSignal(message)).ConfigureAwait(false);
        try
        {
            await jobs.Recovered.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await RoundAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    await _wake.WaitAsync(options.JobIntakeInterval, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await subscriber.UnsubscribeAsync(Channel(options)).ConfigureAwait(false);
        }
    }

    private void OnSignal(RedisValue message)
    {
        JobSignal? signal;
        try
        {
            signal = JsonSerializer.Deserialize<JobSignal>((string)message!, OrbitMeshJson.Options);
        }
        catch (JsonException)
        {
            return;
        }

        switch (signal)
        {
            case { Kind: JobSignal.Submitted }:
                Wake();
                break;
            case { Kind: JobSignal.Cancel, JobId: { } jobId }:
                _ = Task.Run(() => jobs.CancelHeldAsync(jobId, signal.Reason ?? "cancelled", CancellationToken.None));
                break;
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    private async Task RoundAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RenewAsync(stoppingToken).ConfigureAwait(false);
            if (_problem is not null)
            {
                return;
            }

            // Cut off from Redis, the server still holds (and renews) what it has, but claims nothing new: it would not
            // hear a cancel from another server for it, and its view of which agents are elsewhere is stale, so the
            // orphan rule could take a job whose agent is on another server. /health/ready says Redis is unreachable.
            if (!directory.Reachable)
            {
                if (!_pausedForRedis)
                {
                    _pausedForRedis = true;
                    Log.ClaimsPausedForRedis(logger);
                }

                return;
            }

            if (_pausedForRedis)
            {
                _pausedForRedis = false;
                Log.ClaimsResumedForRedis(logger);
            }

            // The agents on other servers, read once per round for both the orphan rule and the hand-over.
            var elsewhere = directory.Remote.Select(r => r.Agent.Id).ToHashSet(StringComparer.Ordinal);
            var claimed = await ClaimAsync(elsewhere, stoppingToken).ConfigureAwait(false);
            await jobs.AdoptClaimedAsync(claimed, stoppingToken).ConfigureAwait(false);
            await jobs.ReleaseUnservedAsync(options.UnservedRelease, stoppingToken).ConfigureAwait(false);
            await jobs.HandOverMovedAsync(elsewhere.Contains, stoppingToken).ConfigureAwait(false);
            if (claimed.Count > 0)
            {
                Wake(); // There may be more.
            }
        }
        catch (Exception ex) when (ex is StorageUnavailableException or JobConcurrencyException or RedisException)
        {
            Log.RoundFailed(logger, ex.Message);
        }
    }

    /// <summary>Renews the lease about three times per lease; a server whose lease lapsed forgets its jobs (others may hold them).</summary>
    private async Task RenewAsync(CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var every = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, options.JobLease.Ticks / 3));
        if (now - _lastRenewal < every)
        {
            return;
        }

        _lastRenewal = now;
        try
        {
            var held = await jobs.Ownership.RenewLeaseAsync(options.JobLease, stoppingToken).ConfigureAwait(false);
            if (!held && _renewedAt != DateTimeOffset.MinValue)
            {
                Log.LeaseLapsed(logger, jobs.ActiveCount);
                jobs.ForgetAll();
            }

            _renewedAt = now;
            if (_problem is not null)
            {
                Log.LeaseBack(logger);
            }

            _problem = null;
        }
        catch (StorageUnavailableException ex)
        {
            _problem = "the job lease cannot be renewed in the shared store: " + ex.Message;
            if (now - _renewedAt >= options.JobLease && jobs.ActiveCount > 0)
            {
                // Fenced by the store anyway (a claim bumps versions); forgetting stops the work it would refuse.
                Log.LeaseLapsed(logger, jobs.ActiveCount);
                jobs.ForgetAll();
            }
        }
    }

    private ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(HashSet<string> elsewhere, CancellationToken stoppingToken)
    {
        var budget = jobs.FreeLocalSlots();
        var orphanAfter = options.JobLease;
        return jobs.Ownership.ClaimAsync(new JobClaimRequest
        {
            Accept = candidate =>
            {
                var job = candidate.Job;
                if (jobs.Holds(job.Id))
                {
                    return false; // Its own, with its lease lapsed: it is being forgotten (see RenewAsync).
                }

                if (job.Status == JobStatus.Pending)
                {
                    if (budget <= 0 || !jobs.CanServe(job))
                    {
                        return false;
                    }

                    budget--;
                    return true;
                }

                if (jobs.CanServe(job))
                {
                    return true; // Its agent is connected here.
                }

                // An orphan: no owner (or one gone for a while) and its agent on no server; held here so its lease runs
                // (it is retried if the agent does not come back, and handed over if the agent turns up on another server).
                return (candidate.Owner is null || candidate.OwnerLapsedFor >= orphanAfter)
                    && job.AgentId is { } agent && !elsewhere.Contains(agent);
            },
        }, stoppingToken);
    }

    private static partial class Log
    {
        [LoggerMessage(2140, LogLevel.Warning, "A job intake round failed: {Reason}")]
        public static partial void RoundFailed(ILogger logger, string reason);

        [LoggerMessage(2141, LogLevel.Error, "This server's job lease lapsed; other servers may hold its {Count} jobs now, so it forgets them and claims again.")]
        public static partial void LeaseLapsed(ILogger logger, int count);

        [LoggerMessage(2142, LogLevel.Information, "The job lease is renewed again; this server claims work again.")]
        public static partial void LeaseBack(ILogger logger);

        [LoggerMessage(2144, LogLevel.Warning, "Redis cannot be reached: this server claims no new jobs until it can (it keeps those it holds).")]
        public static partial void ClaimsPausedForRedis(ILogger logger);

        [LoggerMessage(2145, LogLevel.Information, "Redis answers again; this server claims jobs again.")]
        public static partial void ClaimsResumedForRedis(ILogger logger);

        [LoggerMessage(2143, LogLevel.Warning, "The job lease could not be ended at stop ({Reason}); the others take its jobs when it lapses.")]
        public static partial void LeaseNotEnded(ILogger logger, string reason);
    }
}
