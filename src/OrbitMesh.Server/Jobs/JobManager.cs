using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Diagnostics;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Cluster;
using OrbitMesh.Server.Diagnostics;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Owns every job's lifecycle: accepts submissions (idempotency, admission), moves jobs through the
/// <see cref="JobStateMachine"/> and persists each transition, hands Pending jobs to agents, takes the
/// agents' reports (acknowledgements, refusals, progress, items, completions) checking their fencing
/// tokens, enforces leases, timeouts and cancellation, retries with backoff, and tells watchers.
/// Changes to one job are serialized by its gate; different jobs proceed in parallel.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim without a wait handle needs no disposal; the manager lives as long as the server.")]
internal sealed partial class JobManager
{
    private static readonly TimeSpan WatcherWriteTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FinishedRetention = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ActiveJob> _active = new(StringComparer.Ordinal);
    private readonly IJobStore _store;
    private readonly AgentRegistry _registry;
    private readonly AgentSlots _slots;
    private readonly AgentResilience _resilience;
    private readonly IAgentSelector _selector;
    private readonly IHubContext<AgentHub, IAgentClient> _hub;
    private readonly IServiceScopeFactory _scopes;
    private readonly OrbitMeshServerOptions _options;
    private readonly JobOptions _jobs;
    private readonly TimeSpan _assignmentLifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<JobManager> _logger;
    private readonly OrbitMeshMetrics _metrics;
    private readonly JobSecrets _secrets;
    private readonly JobOwnership _ownership;
    private readonly SemaphoreSlim _admission;
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextFencingToken;

    public JobManager(
        IJobStore store,
        AgentRegistry registry,
        AgentSlots slots,
        AgentResilience resilience,
        IAgentSelector selector,
        IHubContext<AgentHub, IAgentClient> hub,
        IServiceScopeFactory scopes,
        IOptions<OrbitMeshServerOptions> options,
        TimeProvider time,
        OrbitMeshMetrics metrics,
        JobSecrets secrets,
        JobOwnership ownership,
        ILogger<JobManager> logger)
    {
        _ownership = ownership;
        _metrics = metrics;
        _secrets = secrets;
        _store = store;
        _registry = registry;
        _slots = slots;
        _resilience = resilience;
        _selector = selector;
        _hub = hub;
        _scopes = scopes;
        _options = options.Value;
        _jobs = _options.Jobs;
        _assignmentLifetime = _options.Security.AssignmentLifetime;
        _time = time;
        _logger = logger;
        _admission = new SemaphoreSlim(_jobs.MaxPendingJobs, _jobs.MaxPendingJobs);
        Queue = new DispatchQueue(_jobs.MaxPendingJobs);
        Deadlines = new DeadlineQueue();

        // Tokens only need to differ from every earlier token of the same job, also across restarts:
        // start from the clock (microseconds) so a restarted server never reuses a token.
        _nextFencingToken = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    public DispatchQueue Queue { get; }

    public DeadlineQueue Deadlines { get; }

    /// <summary>Jobs that are not final and are held in memory.</summary>
    public int ActiveCount => _active.Count;

    /// <summary>Jobs in memory that are not final (a scan: for metrics, not hot paths).</summary>
    public int UnfinishedCount => _active.Values.Count(j => !j.Record.IsFinal);

    /// <summary>Free admission slots (jobs that may still be submitted before the queue is full).</summary>
    public int AdmissionAvailable => _admission.CurrentCount;

    // ---- submission ---------------------------------------------------------------------------

    /// <summary>Validates, admits, stores and queues a job; returns the stored job (an existing one for a repeated idempotency key).</summary>
    public async Task<JobRecord> SubmitAsync(JobRequest request, bool failFast, JobWatcher? watcher, IAsyncEnumerable<JsonElement>? input, CancellationToken cancellationToken)
    {
        JobRequestValidator.Validate(request, _jobs);

        if (failFast || _jobs.QueueFullMode == QueueFullMode.FailFast)
        {
            if (!_admission.Wait(0, CancellationToken.None))
            {
                throw new MeshQueueFullException($"The job queue is full ({_jobs.MaxPendingJobs} jobs are waiting); retry later.", TimeSpan.FromSeconds(1));
            }
        }
        else
        {
            await _admission.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        using var activity = OrbitMeshDiagnostics.ActivitySource.StartActivity(OrbitMeshDiagnostics.SubmitActivity, ActivityKind.Internal);
        activity?.SetTag(OrbitMeshDiagnostics.JobIdTag, request.Id);
        activity?.SetTag(OrbitMeshDiagnostics.CommandTag, request.Command);
        var now = _time.GetUtcNow();
        var record = _secrets.Seal(JobRecord.FromRequest(request, now) with { TraceParent = activity?.Id ?? Activity.Current?.Id });
        var created = StatusEvent(record, 1, "submitted", now);
        JobRecord stored;
        try
        {
            stored = await _store.CreateAsync(record, created, _jobs.IdempotencyTtl, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _admission.Release();
            throw;
        }

        if (!ReferenceEquals(stored, record))
        {
            _admission.Release();
            if (IdempotencyDifferences(stored, request) is { Count: > 0 } differences)
            {
                throw new MeshIdempotencyConflictException(request.IdempotencyKey!, stored.Id, differences);
            }

            Log.IdempotentHit(_logger, stored.Id, request.IdempotencyKey!);
            if (watcher is not null && !await AttachWatcherAsync(stored.Id, watcher, cancellationToken).ConfigureAwait(false))
            {
                watcher.TryWrite(StatusEvent(stored, stored.Version, "current status", now));
                watcher.Complete();
            }

            return _active.TryGetValue(stored.Id, out var live) ? live.Snapshot() : stored;
        }

        if (_ownership.Shared)
        {
            if (await ClaimAtSubmitAsync(record, input).ConfigureAwait(false) is not { } claimed)
            {
                // Stored unowned: a server with an agent for it claims it.
                _admission.Release();
                Log.Submitted(_logger, record.Id, record.Command, record.Priority.ToString());
                await _ownership.SignalAsync(new JobSignal(JobSignal.Submitted)).ConfigureAwait(false);
                if (watcher is not null)
                {
                    watcher.TryWrite(created);
                    _ = FollowStoredAsync(record.Id, watcher, created.Sequence);
                }

                return record;
            }

            record = claimed;
        }

        var job = new ActiveJob(record) { Input = input };
        if (watcher is not null)
        {
            job.Watchers.Add(watcher);
            watcher.TryWrite(created);
        }

        _active[record.Id] = job;
        if (_options.HasJobEventHandlers)
        {
            RaiseHook(() => _options.RaiseJobEvent(created));
        }

        Log.Submitted(_logger, record.Id, record.Command, record.Priority.ToString());
        await Queue.EnqueueAsync(record.Id, record.Priority, CancellationToken.None).ConfigureAwait(false);
        return record;
    }

    // ---- queries --------------------------------------------------------------------------------

    public async Task<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_active.TryGetValue(jobId, out var job))
        {
            return job.Snapshot();
        }

        return await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JobRecord>> QueryAsync(JobQuery query, CancellationToken cancellationToken)
    {
        var stored = await _store.QueryAsync(query, cancellationToken).ConfigureAwait(false);
        return stored.Select(r => _active.TryGetValue(r.Id, out var live) ? live.Snapshot() : r).ToList();
    }

    /// <summary>Waits for a job's final record.</summary>
    public async Task<JobRecord> WaitForFinalAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_active.TryGetValue(jobId, out var job))
        {
            return await job.Final.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var stored = await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false)
            ?? throw new MeshInvocationException(new JobError(MeshErrorCodes.BadRequest, $"No job with id '{jobId}' exists."));
        if (stored.IsFinal)
        {
            return stored;
        }

        // Known to the store but not in memory: another server owns it (scale-out); poll until final.
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), _time, cancellationToken).ConfigureAwait(false);
            var current = await GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (current is { IsFinal: true })
            {
                return current;
            }
        }
    }

    /// <summary>What differs between the job an idempotency key belongs to and a new request with that key (Stripe-style: same key, same work).</summary>
    private List<string> IdempotencyDifferences(JobRecord stored, JobRequest request)
    {
        var differences = new List<string>();
        if (stored.Command != request.Command)
        {
            differences.Add($"command '{stored.Command}' ≠ '{request.Command}'");
        }

        if (stored.Pattern != request.Pattern)
        {
            differences.Add($"pattern {stored.Pattern} ≠ {request.Pattern}");
        }

        if (!Equals(stored.Target, request.Target))
        {
            differences.Add("target differs");
        }

        JsonElement? earlier;
        try
        {
            earlier = _secrets.Open(stored, stored.Parameters);
        }
        catch (JobSecretsUnavailableException)
        {
            earlier = stored.Parameters; // Cannot decrypt: compare what is visible.
        }

        var now = request.Parameters;
        var same = (earlier is null or { ValueKind: JsonValueKind.Null }) && (now is null or { ValueKind: JsonValueKind.Null })
            || earlier is { } a && now is { } b && JsonElement.DeepEquals(a, b);
        if (!same)
        {
            // Names only: values may be secrets.
            differences.Add("parameters differ" + ParameterNamesThatDiffer(earlier, now));
        }

        return differences;
    }

    private static string ParameterNamesThatDiffer(JsonElement? earlier, JsonElement? now)
    {
        if (earlier is not { ValueKind: JsonValueKind.Object } a || now is not { ValueKind: JsonValueKind.Object } b)
        {
            return "";
        }

        var names = a.EnumerateObject().Select(p => p.Name).Union(b.EnumerateObject().Select(p => p.Name), StringComparer.Ordinal)
            .Where(n => !(a.TryGetProperty(n, out var x) && b.TryGetProperty(n, out var y) && JsonElement.DeepEquals(x, y)))
            .ToList();
        return names.Count == 0 ? "" : ": " + string.Join(", ", names);
    }

    /// <summary>
    /// The job's events after <paramref name="afterSequence"/>, replayed from the store (status changes,
    /// progress and streamed items), then live until its final status: nothing is missed or repeated,
    /// however late the watcher comes. A job whose events retention has compacted gives its current status.
    /// </summary>
    public async IAsyncEnumerable<JobEvent> WatchAsync(string jobId, long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Attached first, then the store read: everything sequenced before the attach (under the job's
        // gate) is already stored, so the two overlap instead of leaving a gap; the overlap is skipped.
        var watcher = new JobWatcher();
        var attached = await AttachWatcherAsync(jobId, watcher, cancellationToken).ConfigureAwait(false);
        try
        {
            var last = afterSequence;
            foreach (var stored in await _store.GetEventsAsync(jobId, afterSequence, cancellationToken).ConfigureAwait(false))
            {
                yield return stored;
                last = stored.Sequence;
                if (stored.IsFinal)
                {
                    yield break;
                }
            }

            var record = attached ? null : await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (record is { IsFinal: false } && _ownership.Shared)
            {
                // Held by another server: follow its stored events.
                attached = true;
                _ = FollowStoredAsync(jobId, watcher, last);
            }

            if (!attached)
            {
                if (record is not null)
                {
                    yield return StatusEvent(record, Math.Max(last, 1), "current status", record.UpdatedAt);
                }

                yield break;
            }

            await foreach (var live in watcher.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (live.Sequence <= last)
                {
                    continue;
                }

                yield return live;
                if (live.IsFinal)
                {
                    yield break;
                }
            }
        }
        finally
        {
            if (attached)
            {
                watcher.Close();
                await DetachWatcherAsync(jobId, watcher).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How many watchers a running job has (for diagnostics and tests; a racy read of a count).</summary>
    internal int WatcherCount(string jobId) => _active.TryGetValue(jobId, out var job) ? job.Watchers.Count : 0;

    private async Task<bool> AttachWatcherAsync(string jobId, JobWatcher watcher, CancellationToken cancellationToken)
    {
        if (!_active.TryGetValue(jobId, out var job))
        {
            return false;
        }

        await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = job.Snapshot();
            watcher.TryWrite(StatusEvent(snapshot, job.EventSequence, "current status", _time.GetUtcNow()));
            if (snapshot.IsFinal)
            {
                watcher.Complete();
            }
            else
            {
                job.Watchers.Add(watcher);
            }

            return true;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    private async Task DetachWatcherAsync(string jobId, JobWatcher watcher)
    {
        if (_active.TryGetValue(jobId, out var job))
        {
            await job.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                job.Watchers.Remove(watcher);
            }
            finally
            {
                job.Gate.Release();
            }
        }
    }

    // ---- cancellation ---------------------------------------------------------------------------

    /// <summary>Cancels a job. Pending and assigned jobs end at once; a running job's agent is told, and it ends when the agent confirms or the grace period ends.</summary>
    public async Task<bool> CancelAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        if (!_active.TryGetValue(jobId, out var job))
        {
            return _ownership.Shared && await CancelElsewhereAsync(jobId, reason, cancellationToken).ConfigureAwait(false);
        }

        AttemptState? attempt;
        await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (record.IsFinal || record.CancelRequested)
            {
                return !record.IsFinal;
            }

            var error = new JobError(MeshErrorCodes.Cancelled, reason);
            attempt = job.Attempt;
            if (record.Status is JobStatus.Pending or JobStatus.Assigned)
            {
                await CommitAsync(job, Change.Start(job, _time.GetUtcNow()).Apply(JobTrigger.Cancel, r => r with { Error = error, CancelRequested = true }, reason)).ConfigureAwait(false);
            }
            else
            {
                var change = Change.Start(job, _time.GetUtcNow());
                change.Update(r => r with { CancelRequested = true, Error = error }, "cancellation requested");
                await CommitAsync(job, change).ConfigureAwait(false);
                Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.CancelGrace), _time.GetUtcNow() + _jobs.CancelGracePeriod);
            }
        }
        finally
        {
            job.Gate.Release();
        }

        if (attempt is not null)
        {
            await TellAgentToStopAsync(attempt, MeshErrorCodes.Cancelled).ConfigureAwait(false);
        }

        Log.CancelRequested(_logger, jobId, reason);
        return true;
    }

    private async Task TellAgentToStopAsync(AttemptState attempt, string reason)
    {
        try
        {
            await _hub.Clients.Client(attempt.ConnectionId).CancelJob(new JobCancellation(attempt.JobId, attempt.FencingToken, reason)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            Log.StopNotDelivered(_logger, attempt.JobId, attempt.AgentId, ex.Message);
        }
    }

    // ---- transitions --------------------------------------------------------------------------

    /// <summary>
    /// Persists a change (one version, one or more events), then applies its side effects: slots,
    /// admission, watchers, final completion, hooks, and re-queueing. The caller holds the job's gate.
    /// </summary>
    private async Task CommitAsync(ActiveJob job, Change change)
    {
        var before = job.Record;
        var after = change.Record with { Version = before.Version + 1, UpdatedAt = change.Now };
        if (after.IsFinal && !before.IsFinal)
        {
            after = after with { CompletedAt = change.Now, LeaseExpiresAt = null, AckDeadline = null };
        }

        await _store.SaveAsync(after, change.Events).ConfigureAwait(false);
        job.Record = after;
        job.EventSequence = change.Events.Count == 0 ? job.EventSequence : change.Events[^1].Sequence;

        if (before.Status == JobStatus.Pending && after.Status != JobStatus.Pending && job.HoldsAdmission)
        {
            job.HoldsAdmission = false;
            _admission.Release();
        }

        if (JobStateMachine.IsWithAgent(before.Status) && !JobStateMachine.IsWithAgent(after.Status) && before.AgentId is { } agentId)
        {
            _slots.Release(agentId);
            _registry.OnActivity(agentId, _slots.InFlight(agentId));
            Queue.Unpark(1);
        }

        if (JobStateMachine.IsWithAgent(before.Status) && !JobStateMachine.IsWithAgent(after.Status) && job.Attempt is { } attempt)
        {
            attempt.Acked.TrySetResult(false);
            attempt.Outcome.TrySetResult(after.ToResult());
            await attempt.Ended.CancelAsync().ConfigureAwait(false);
            job.LeaseExpiresAt = null;
            job.ProgressPercent = null;
            job.ProgressMessage = null;
        }

        foreach (var jobEvent in change.Events)
        {
            await PublishAsync(job, jobEvent).ConfigureAwait(false);
        }

        if (after.IsFinal)
        {
            Finish(job, after);
        }
        else if (after.Status == JobStatus.Pending && before.Status != JobStatus.Pending)
        {
            job.ReadySince = after.NotBefore is { } due && due > change.Now ? due : change.Now;
            if (after.NotBefore is { } notBefore && notBefore > change.Now)
            {
                Deadlines.Add(new Deadline(job.Id, after.FencingToken, DeadlineKind.NotBefore), notBefore);
            }
            else
            {
                await Queue.EnqueueAsync(job.Id, after.Priority, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private void Finish(ActiveJob job, JobRecord final)
    {
        _metrics.JobFinished(final.Status, (final.CompletedAt ?? final.UpdatedAt) - final.CreatedAt);
        foreach (var watcher in job.Watchers)
        {
            watcher.Complete();
        }

        job.Watchers.Clear();
        job.Final.TrySetResult(final);
        if (final.Status == JobStatus.Completed)
        {
            Log.Completed(_logger, final.Id, final.AgentId ?? "-", final.Attempt);
            RaiseHook(() => _options.RaiseJobCompleted(final));
        }
        else
        {
            Log.Ended(_logger, final.Id, final.Status.ToString(), final.Error?.ToString() ?? "-");
            RaiseHook(() => _options.RaiseJobFailed(final));
        }

        // Keep the finished job in memory briefly so late watchers and repeated completions find it, then forget it.
        _ = Task.Delay(FinishedRetention, _time).ContinueWith(_ => _active.TryRemove(new KeyValuePair<string, ActiveJob>(final.Id, job)), TaskScheduler.Default);
    }

    private void RaiseHook(Action hook)
    {
        try
        {
            hook();
        }
        catch (Exception ex)
        {
            Log.HookFailed(_logger, ex);
        }
    }

    private async Task PublishAsync(ActiveJob job, JobEvent jobEvent)
    {
        if (_options.HasJobEventHandlers)
        {
            RaiseHook(() => _options.RaiseJobEvent(jobEvent));
        }

        if (job.Watchers.Count == 0)
        {
            return;
        }

        List<JobWatcher>? slow = null;
        foreach (var watcher in job.Watchers)
        {
            if (watcher.Closed)
            {
                (slow ??= []).Add(watcher);
                continue;
            }

            if (jobEvent.Type == JobEventType.Progress)
            {
                // Progress is superseded by the next report: a watcher that is behind misses this one.
                watcher.TryWrite(jobEvent);
            }
            else if (!await watcher.WriteAsync(jobEvent, WatcherWriteTimeout, _time).ConfigureAwait(false))
            {
                (slow ??= []).Add(watcher);
            }
        }

        if (slow is not null)
        {
            foreach (var watcher in slow)
            {
                if (!watcher.Closed)
                {
                    Log.WatcherDropped(_logger, job.Id);
                }

                job.Watchers.Remove(watcher);
                watcher.Complete(new MeshInvocationException(new JobError(MeshErrorCodes.Internal, "The watcher fell too far behind the job's events and was dropped.")));
            }
        }
    }

    private static JobEvent NextEvent(ActiveJob job, JobEventType type, DateTimeOffset now) => new()
    {
        JobId = job.Id,
        Sequence = ++job.EventSequence,
        Type = type,
        Status = job.Record.Status,
        AgentId = job.Record.AgentId,
        Attempt = job.Record.Attempt,
        Timestamp = now,
    };

    private static JobEvent StatusEvent(JobRecord record, long sequence, string? message, DateTimeOffset now) => new()
    {
        JobId = record.Id,
        Sequence = sequence,
        Type = JobEventType.Status,
        Status = record.Status,
        AgentId = record.AgentId,
        Attempt = record.Attempt,
        Message = message,
        Result = record.Status == JobStatus.Completed ? record.Result : null,
        Error = record.Error,
        Percent = record.ProgressPercent,
        Timestamp = now,
    };

    /// <summary>A token above every earlier one of this server and of the job (another server may have issued the job's last one).</summary>
    private long NextFencingToken(JobRecord job)
    {
        InterlockedMax(ref _nextFencingToken, job.FencingToken);
        return Interlocked.Increment(ref _nextFencingToken);
    }

    /// <summary>
    /// A change to one job: triggers applied in order through the state machine, each producing a status event.
    /// </summary>
    private sealed class Change
    {
        private Change(ActiveJob job, DateTimeOffset now)
        {
            Job = job;
            Now = now;
            Record = job.Record;
            NextSequence = job.EventSequence;
        }

        public ActiveJob Job { get; }

        public DateTimeOffset Now { get; }

        public JobRecord Record { get; private set; }

        public List<JobEvent> Events { get; } = [];

        private long NextSequence { get; set; }

        public static Change Start(ActiveJob job, DateTimeOffset now) => new(job, now);

        public Change Apply(JobTrigger trigger, Func<JobRecord, JobRecord>? mutate = null, string? message = null)
        {
            var to = JobStateMachine.Transition(Record.Status, trigger);
            Record = (mutate?.Invoke(Record) ?? Record) with { Status = to };
            Events.Add(StatusEvent(Record, ++NextSequence, message ?? trigger.ToString(), Now));
            return this;
        }

        /// <summary>A change that keeps the status (for example, cancellation requested).</summary>
        public Change Update(Func<JobRecord, JobRecord> mutate, string message)
        {
            Record = mutate(Record);
            Events.Add(StatusEvent(Record, ++NextSequence, message, Now));
            return this;
        }
    }
}
