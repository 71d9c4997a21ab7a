using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>
/// Fires cron triggers. One loop sleeps until the earliest due time (or a change), then claims each
/// due time in the store and starts its run. The claim is the cluster-wide lease: every server runs
/// this loop, and of those that find a time due, only the one whose append succeeds starts the run,
/// under an id derived from the trigger and the time (so even a retry cannot start it twice).
/// After downtime the times missed follow the trigger's policy: <c>skip</c> runs none of them,
/// <c>runOnce</c> runs once for the latest; never one run per missed time.
/// </summary>
internal sealed partial class CronTriggerScheduler : BackgroundService
{
    /// <summary>How old a claim without its run must be before another pass starts that run (its claimer crashed between the two).</summary>
    private static readonly TimeSpan OrphanAge = TimeSpan.FromSeconds(10);

    /// <summary>How old such a claim may be and still have its run started (older ones are left alone: their run may have been deleted since).</summary>
    private static readonly TimeSpan OrphanMaxAge = TimeSpan.FromDays(1);

    /// <summary>The most scheduled times counted when reporting how many were missed.</summary>
    private const int MissedCountLimit = 100_000;

    private readonly TriggerRegistry _registry;
    private readonly WorkflowTriggerStore _store;
    private readonly TriggerRunStarter _starter;
    private readonly WorkflowTriggerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Due> _due = new(StringComparer.Ordinal);
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CronTriggerScheduler(TriggerRegistry registry, WorkflowTriggerStore store, TriggerRunStarter starter, WorkflowTriggerOptions options, TimeProvider time, ILogger<CronTriggerScheduler> logger)
    {
        _registry = registry;
        _store = store;
        _starter = starter;
        _options = options;
        _time = time;
        _logger = logger;
        registry.Changed += Wake;
    }

    /// <summary>The next time a trigger fires, as this server has computed it; null when it is not scheduled here.</summary>
    public DateTimeOffset? NextFireAt(string name) => _due.TryGetValue(name, out var due) ? due.At : null;

    /// <summary>Completes once the loop has computed the schedule at least once (tests wait on it).</summary>
    public Task Ready => _ready.Task;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refreshedAt = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake);
            try
            {
                var now = _time.GetUtcNow();
                if (now - refreshedAt >= _options.RefreshInterval)
                {
                    await _registry.RefreshAsync(stoppingToken).ConfigureAwait(false);
                    refreshedAt = now;
                }

                await PlanAsync(stoppingToken).ConfigureAwait(false);
                _ready.TrySetResult();
                now = _time.GetUtcNow();
                var fire = _due.Values.Where(due => due.At <= now).ToList();
                if (fire.Count > 0)
                {
                    await Parallel.ForEachAsync(fire, new ParallelOptions { MaxDegreeOfParallelism = _options.FireConcurrency, CancellationToken = stoppingToken }, async (due, token) =>
                        await FireAsync(due, token).ConfigureAwait(false)).ConfigureAwait(false);
                    continue;
                }

                var next = _due.Values.Select(due => due.At).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
                var deadline = next - now > _options.RefreshInterval ? now + _options.RefreshInterval : next;

                // The delay is taken from the clock as late as possible, so that a clock that moved
                // meanwhile (a stalled process, a test's manual clock) shortens it rather than adds to it.
                var delay = deadline - _time.GetUtcNow();
                if (delay > TimeSpan.Zero)
                {
                    await Task.WhenAny(Task.Delay(delay, _time, stoppingToken), wake.Task).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A store outage must not stop the scheduler; it tries again after a pause.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.PassFailed(_logger, ex);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    public override void Dispose()
    {
        _registry.Changed -= Wake;
        base.Dispose();
    }

    private void Wake()
    {
        // Forget the computed times of changed triggers: PlanAsync computes them again.
        foreach (var (name, due) in _due)
        {
            if (_registry.Find(name) is not { } entry || entry.Version != due.Entry.Version)
            {
                _due.TryRemove(name, out _);
            }
        }

        Volatile.Read(ref _wake).TrySetResult();
    }

    /// <summary>Computes the next time of every enabled cron trigger that has none yet.</summary>
    private async Task PlanAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in _registry.All)
        {
            if (entry.Trigger is not { Kind: WorkflowTriggerKind.Cron, Enabled: true } || _due.ContainsKey(entry.Trigger.Name))
            {
                continue;
            }

            if (entry.Schedule is null)
            {
                Log.Unschedulable(_logger, entry.Trigger.Name, entry.Trigger.TimeZone ?? "UTC");
                continue;
            }

            var (last, _) = await _store.LastTickAsync(entry.Trigger.Name, cancellationToken).ConfigureAwait(false);
            await RecoverAsync(entry, last, cancellationToken).ConfigureAwait(false);
            var after = last is { } tick && tick.ScheduledAt > entry.Stored.EnabledAt ? tick.ScheduledAt : entry.Stored.EnabledAt;
            if (entry.Schedule.Next(after) is { } at)
            {
                _due[entry.Trigger.Name] = new Due(entry, at);
            }
        }

        foreach (var name in _due.Keys)
        {
            if (_registry.Find(name) is not { Trigger: { Kind: WorkflowTriggerKind.Cron, Enabled: true } })
            {
                _due.TryRemove(name, out _);
            }
        }
    }

    private async Task FireAsync(Due due, CancellationToken cancellationToken)
    {
        var entry = due.Entry;
        var trigger = entry.Trigger;
        if (_registry.Find(trigger.Name) is not { Trigger.Enabled: true } current || current.Version != entry.Version)
        {
            // Disabled, deleted or changed since it was planned: the next pass plans it again (or not).
            _due.TryRemove(trigger.Name, out _);
            return;
        }

        var (last, version) = await _store.LastTickAsync(trigger.Name, cancellationToken).ConfigureAwait(false);
        if (last is not null && last.ScheduledAt >= due.At)
        {
            // Another server claimed this time (or a later one): follow its claim.
            Reschedule(entry, last.ScheduledAt);
            return;
        }

        await RecoverAsync(entry, last, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var times = entry.Schedule!.Between(due.At - TimeSpan.FromTicks(1), now, MissedCountLimit).ToList();
        var latest = times.Count > 0 ? times[^1] : due.At;
        var onTime = now - latest <= _options.MisfireGrace;
        var run = onTime || trigger.MissedTicks == MissedTickPolicy.RunOnce;
        var missed = times.Count - (run ? 1 : 0);
        var tick = new TriggerTick
        {
            ScheduledAt = latest,
            ClaimedAt = now,
            RunId = run ? RunIdOf(trigger.Name, latest) : null,
            Missed = missed,
        };

        if (!await _store.ClaimTickAsync(trigger.Name, version, tick, cancellationToken).ConfigureAwait(false))
        {
            // Lost the race for this time to another server; it starts the run.
            var (winner, _) = await _store.LastTickAsync(trigger.Name, cancellationToken).ConfigureAwait(false);
            Reschedule(entry, winner?.ScheduledAt ?? latest);
            return;
        }

        if (missed > 0)
        {
            Log.Missed(_logger, trigger.Name, missed, trigger.MissedTicks == MissedTickPolicy.RunOnce ? "ran once for the latest" : "skipped them");
        }

        Reschedule(entry, latest);
        if (tick.RunId is { } runId)
        {
            await _starter.StartAsync(trigger, runId, null, Meta(latest, now - latest, missed), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the run of the last claim when its claimer crashed before starting it.</summary>
    private async Task RecoverAsync(TriggerEntry entry, TriggerTick? last, CancellationToken cancellationToken)
    {
        if (last?.RunId is not { } runId || _time.GetUtcNow() - last.ClaimedAt is var age && (age < OrphanAge || age > OrphanMaxAge))
        {
            return;
        }

        var firing = await _starter.StartAsync(entry.Trigger, runId, null, Meta(last.ScheduledAt, last.ClaimedAt - last.ScheduledAt, last.Missed), cancellationToken).ConfigureAwait(false);
        if (firing.Started)
        {
            Log.Recovered(_logger, entry.Trigger.Name, runId, last.ScheduledAt);
        }
    }

    private void Reschedule(TriggerEntry entry, DateTimeOffset after)
    {
        if (entry.Schedule!.Next(after) is { } next && _registry.Find(entry.Trigger.Name) is { Trigger.Enabled: true } current && current.Version == entry.Version)
        {
            _due[entry.Trigger.Name] = new Due(entry, next);
        }
        else
        {
            _due.TryRemove(entry.Trigger.Name, out _);
        }
    }

    internal static string RunIdOf(string trigger, DateTimeOffset scheduledAt) =>
        MeshIds.Derived("wfr", scheduledAt, $"cron|{trigger}|{scheduledAt.UtcTicks}");

    private static JsonObject Meta(DateTimeOffset scheduledAt, TimeSpan late, int missed) => new()
    {
        ["scheduledAt"] = scheduledAt,
        ["lateMs"] = Math.Max(0, (long)late.TotalMilliseconds),
        ["missed"] = missed,
        ["depth"] = 0,
    };

    private sealed record Due(TriggerEntry Entry, DateTimeOffset At);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4040, Level = LogLevel.Error, Message = "A cron scheduler pass failed; trying again in a second")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 4041, Level = LogLevel.Warning, Message = "Cron trigger {Trigger} missed {Missed} scheduled times while no server ran it; it {Action}")]
        public static partial void Missed(ILogger logger, string trigger, int missed, string action);

        [LoggerMessage(EventId = 4042, Level = LogLevel.Warning, Message = "Cron trigger {Trigger} run {RunId} for {ScheduledAt} was claimed but not started (its server stopped between the two); started it now")]
        public static partial void Recovered(ILogger logger, string trigger, string runId, DateTimeOffset scheduledAt);

        [LoggerMessage(EventId = 4043, Level = LogLevel.Error, Message = "Cron trigger {Trigger} cannot be scheduled here: its time zone {TimeZone} is not known on this machine")]
        public static partial void Unschedulable(ILogger logger, string trigger, string timeZone);
    }
}
