using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrbitMesh.Diagnostics;
using OrbitMesh.Execution;
using OrbitMesh.Protocol;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Agent.Jobs;

/// <summary>
/// Runs the jobs the server assigns: refuses what it cannot run (unknown command, full), acknowledges
/// the rest and runs a job only once the server accepted the acknowledgement; never runs the same (job,
/// attempt) twice; streams items and progress; stops on cancellation, timeout or a stale report; keeps
/// completions until the server confirms them (across reconnects); and drains on shutdown.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim without a wait handle needs no disposal.")]
internal sealed partial class JobRunner
{
    private const int SeenCapacity = 100_000;
    private const int ItemBatch = 256;

    private readonly HubConnection _connection;
    private readonly HandlerRegistry _handlers;
    private readonly MeshDelegate _pipeline;
    private readonly IServiceProvider _services;
    private readonly SemaphoreSlim _slots;
    private readonly MeshAgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _agentId;
    private readonly ConcurrentDictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _seenOrder = new();
    private readonly ConcurrentDictionary<string, JobCompletion> _outbox = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private volatile bool _draining;
    private int _retryScheduled;
    private readonly ConcurrentDictionary<string, int> _deliveryFailures = new(StringComparer.Ordinal);

    /// <summary>A completion the server keeps failing to take (not refusing) is given up after this many tries.</summary>
    private const int MaxDeliveryFailures = 50;

    public JobRunner(HubConnection connection, HandlerRegistry handlers, MeshDelegate pipeline, IServiceProvider services, SemaphoreSlim slots, MeshAgentOptions options, ILogger logger)
    {
        _connection = connection;
        _handlers = handlers;
        _pipeline = pipeline;
        _services = services;
        _slots = slots;
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        _agentId = options.EffectiveId;
    }

    /// <summary>The server's clock minus this agent's, learned at registration: assignment expiry is judged in the server's time.</summary>
    public TimeSpan ServerClockOffset { get; set; }

    /// <summary>Jobs executing now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>Completions not yet confirmed by the server.</summary>
    public int PendingCompletions => _outbox.Count;

    /// <summary>
    /// The jobs this agent holds, for heartbeats and registrations: running ones, and finished ones whose
    /// completion the server has not confirmed yet (so a restarted server keeps them for this agent).
    /// </summary>
    public IReadOnlyList<HeldJob> HeldJobs =>
        [.. _running.Values.Select(j => new HeldJob(j.Assignment.JobId, j.Assignment.Attempt, j.Assignment.FencingToken))
            .Concat(_outbox.Values.Select(c => new HeldJob(c.JobId, c.Attempt, c.FencingToken)))
            .DistinctBy(h => h.JobId)];

    /// <summary>Handles an assignment. Returns at once: the job runs in the background.</summary>
    public Task OnAssignAsync(JobAssignment assignment)
    {
        if (assignment is null || string.IsNullOrEmpty(assignment.JobId))
        {
            return Task.CompletedTask;
        }

        var key = assignment.JobId + "#" + assignment.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!Remember(key) || (assignment.Nonce is { } nonce && !Remember("nonce:" + nonce)))
        {
            Log.DuplicateAssignment(_logger, assignment.JobId, assignment.Attempt);
            return Task.CompletedTask;
        }

        if (assignment.ExpiresAt is { } expiresAt && _time.GetUtcNow() + ServerClockOffset > expiresAt)
        {
            // A captured assignment replayed later (or one delayed past its validity): never run it.
            Log.ExpiredAssignment(_logger, assignment.JobId, assignment.Attempt, expiresAt);
            return RejectAsync(assignment, MeshErrorCodes.NotAllowed, $"The assignment of job '{assignment.JobId}' expired at {expiresAt:O}; it is not run.");
        }

        if (!_handlers.TryGet(assignment.Command, out var handler))
        {
            return RejectAsync(assignment, MeshErrorCodes.UnknownCommand, $"Agent '{_agentId}' has no handler for '{assignment.Command}'.");
        }

        if (_draining)
        {
            return RejectAsync(assignment, MeshErrorCodes.Busy, $"Agent '{_agentId}' is shutting down.");
        }

        if (!_slots.Wait(0))
        {
            return RejectAsync(assignment, MeshErrorCodes.Busy, $"Agent '{_agentId}' is running {_options.MaxConcurrentJobs} commands, its limit.");
        }

        var job = new RunningJob(assignment, handler);
        _running[assignment.JobId] = job;
        _ = Task.Run(() => RunAsync(job));
        return Task.CompletedTask;
    }

    /// <summary>Stops a job when the server asks (cancelled, timed out, or no longer this agent's).</summary>
    public Task OnCancelAsync(JobCancellation cancellation)
    {
        if (cancellation is not null && _running.TryGetValue(cancellation.JobId, out var job) && job.Assignment.FencingToken == cancellation.FencingToken)
        {
            Log.StopRequested(_logger, cancellation.JobId, cancellation.Reason);
            job.Stop(cancellation.Reason);
        }

        return Task.CompletedTask;
    }

    /// <summary>Feeds streamed input to a running job; waits while the job's input buffer is full.</summary>
    public async Task OnInputAsync(JobInputChunk chunk)
    {
        if (chunk is null || !_running.TryGetValue(chunk.JobId, out var job) || job.Assignment.FencingToken != chunk.FencingToken || job.Input is null)
        {
            return;
        }

        try
        {
            foreach (var item in chunk.Items ?? [])
            {
                await job.Input.Writer.WriteAsync(item, job.Cancellation.Token).ConfigureAwait(false);
            }

            if (chunk.Completed)
            {
                job.Input.Writer.TryComplete(chunk.Error is null ? null : new MeshInvocationException(new JobError(MeshErrorCodes.StreamInterrupted, "The caller's input failed: " + chunk.Error)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
        }
    }

    /// <summary>Delivers buffered completions (after a reconnect, and on shutdown).</summary>
    public async Task FlushCompletionsAsync(CancellationToken cancellationToken)
    {
        await _flushLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (jobId, completion) in _outbox)
            {
                if (!await TryDeliverAsync(completion, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                _outbox.TryRemove(new KeyValuePair<string, JobCompletion>(jobId, completion));
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>
    /// Graceful drain: refuse new work, let running jobs finish for up to <paramref name="gracePeriod"/>,
    /// then stop the rest (they are reported as given back, so the server runs them elsewhere), and deliver what completed.
    /// </summary>
    public async Task DrainAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        _draining = true;
        var finished = Task.WhenAll(_running.Values.Select(j => j.Done.Task));
        try
        {
            await finished.WaitAsync(gracePeriod, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var job in _running.Values)
            {
                Log.DrainStopping(_logger, job.Assignment.JobId);
                job.Stop(MeshErrorCodes.AgentShutdown);
            }

            await finished.WaitAsync(TimeSpan.FromSeconds(5), _time, cancellationToken).ConfigureAwait(false);
        }

        if (_connection.State == HubConnectionState.Connected)
        {
            await FlushCompletionsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops every running job at once (the connection is closing for good).</summary>
    public void StopAll(string reason)
    {
        foreach (var job in _running.Values)
        {
            job.Stop(reason);
        }
    }

    private async Task RunAsync(RunningJob job)
    {
        var assignment = job.Assignment;
        using var logScope = _logger.BeginScope(new MeshLogScope(_agentId, assignment.JobId));
        using var activity = OrbitMeshDiagnostics.StartActivity(OrbitMeshDiagnostics.ExecuteActivity, ActivityKind.Consumer, assignment.TraceParent);
        if (activity is not null)
        {
            activity.SetTag(OrbitMeshDiagnostics.JobIdTag, assignment.JobId);
            activity.SetTag(OrbitMeshDiagnostics.CommandTag, assignment.Command);
            activity.SetTag(OrbitMeshDiagnostics.AgentIdTag, _agentId);
            activity.SetTag(OrbitMeshDiagnostics.AttemptTag, assignment.Attempt);
        }

        try
        {
            JobReportResult ack;
            try
            {
                ack = await _connection.InvokeAsync<JobReportResult>(HubMethodNames.AcknowledgeJob,
                    new JobAck(assignment.JobId, assignment.Attempt, assignment.FencingToken), job.Cancellation.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HubException or OperationCanceledException || ConnectionLoss.Is(ex))
            {
                // Not acknowledged: the server will give the job to someone else. Do not run it.
                Log.AckFailed(_logger, assignment.JobId, ex.Message);
                return;
            }

            if (!ack.Accepted)
            {
                Log.AckRefused(_logger, assignment.JobId, ack.Code ?? "-", ack.Message ?? "-");
                return;
            }

            Log.Running(_logger, assignment.JobId, assignment.Attempt, assignment.FencingToken);
            var completion = await ExecuteAsync(job).ConfigureAwait(false);
            if (!completion.Success)
            {
                activity?.SetStatus(ActivityStatusCode.Error, completion.Error?.Message);
            }

            Log.Finished(_logger, assignment.JobId, assignment.Attempt, completion.Success);
            _outbox[assignment.JobId] = completion;
            if (await TryDeliverAsync(completion, CancellationToken.None).ConfigureAwait(false))
            {
                _outbox.TryRemove(new KeyValuePair<string, JobCompletion>(assignment.JobId, completion));
            }
        }
        catch (Exception ex)
        {
            Log.JobCrashed(_logger, assignment.JobId, ex);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, RunningJob>(assignment.JobId, job));
            _slots.Release();
            job.Done.TrySetResult();
            job.Dispose();
        }
    }

    private async Task<JobCompletion> ExecuteAsync(RunningJob job)
    {
        var assignment = job.Assignment;
        using var timeout = assignment.TimeoutMs is > 0 and var ms ? new CancellationTokenSource(TimeSpan.FromMilliseconds(ms), _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, timeout.Token);
        var scope = _services.CreateAsyncScope();
        await using var scopeDisposal = scope.ConfigureAwait(false);
        long items = 0;

        var command = new MeshCommand(assignment.Command, assignment.Parameters, scope.ServiceProvider, assignment.CorrelationId)
        {
            JobId = assignment.JobId,
            Attempt = assignment.Attempt,
            Pattern = assignment.Pattern,
            IdempotencyKey = assignment.IdempotencyKey,
            Input = job.Input is null ? AsyncEnumerable.Empty<JsonElement>() : job.Input.Reader.ReadAllAsync(linked.Token),
            ProgressSink = (percent, message, ct) => ReportProgressAsync(job, percent, message, ct),
        };

        var context = new MeshContext(MeshSide.Agent, assignment.JobId, assignment.Command, assignment.Parameters, scope.ServiceProvider, linked.Token)
        {
            AgentId = _agentId,
            Attempt = assignment.Attempt,
            Pattern = assignment.Pattern,
            CorrelationId = assignment.CorrelationId,
        };
        context.Items[MeshAgent.CommandItem] = command;
        context.Items[MeshAgent.HandlerItem] = job.Handler;
        if (assignment.Pattern == ExecutionPattern.Streaming && job.Handler.IsStream)
        {
            context.Items[MeshAgent.StreamSinkItem] = new Func<IAsyncEnumerable<object?>, CancellationToken, Task<long>>((stream, ct) => SendItemsAsync(job, stream, ct));
        }

        try
        {
            await _pipeline(context).ConfigureAwait(false);
            items = context.Items.TryGetValue(MeshAgent.ItemCountItem, out var count) && count is long n ? n : 0;
            var result = context.Result ?? new JobResult { JobId = assignment.JobId, Status = JobStatus.Failed, Error = new JobError(MeshErrorCodes.Internal, "An agent middleware ended the job without a result.") };
            return new JobCompletion
            {
                JobId = assignment.JobId,
                Attempt = assignment.Attempt,
                FencingToken = assignment.FencingToken,
                Success = result.IsSuccess,
                Result = result.Result,
                Error = result.IsSuccess ? null : result.Error,
                ItemCount = items,
            };
        }
        catch (Exception ex)
        {
            items = context.Items.TryGetValue(MeshAgent.ItemCountItem, out var count) && count is long n ? n : 0;
            var error = ex switch
            {
                OperationCanceledException when job.StopReason is { } reason => new JobError(reason, reason switch
                {
                    MeshErrorCodes.Timeout => "The server stopped the job: it ran past its timeout.",
                    MeshErrorCodes.AgentShutdown => $"Agent '{_agentId}' is shutting down; the job goes to another agent.",
                    JobReportCodes.Stale => "The job no longer belongs to this agent.",
                    _ => "Cancelled.",
                }),
                OperationCanceledException when timeout.IsCancellationRequested => new JobError(MeshErrorCodes.Timeout, $"'{assignment.Command}' did not finish within {assignment.TimeoutMs} ms."),
                MeshParameterException or MeshAccessDeniedException or MeshHandlerException => new JobError(((OrbitMeshException)ex).Code, ex.Message, ex.GetType().FullName),
                _ => JobError.FromException(ex, _options.IncludeErrorDetails),
            };

            if (error.Code == MeshErrorCodes.HandlerFailed)
            {
                Log.HandlerFailed(_logger, assignment.JobId, ex);
            }

            return new JobCompletion
            {
                JobId = assignment.JobId,
                Attempt = assignment.Attempt,
                FencingToken = assignment.FencingToken,
                Success = false,
                Error = error,
                ItemCount = items,
            };
        }
    }

    /// <summary>Sends a stream handler's items in order, batching whatever is ready, each batch acknowledged before the next.</summary>
    private async Task<long> SendItemsAsync(RunningJob job, IAsyncEnumerable<object?> stream, CancellationToken cancellationToken)
    {
        var buffer = Channel.CreateBounded<JsonElement>(new BoundedChannelOptions(ItemBatch) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    await buffer.Writer.WriteAsync(OrbitMeshJson.ToElement(item) ?? default, cancellationToken).ConfigureAwait(false);
                }

                buffer.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                buffer.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        long sequence = 0;
        while (await buffer.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var batch = new List<JsonElement>(ItemBatch);
            while (batch.Count < ItemBatch && buffer.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            var report = await ReportAsync(job, HubMethodNames.SendJobItems, new JobItems(job.Assignment.JobId, job.Assignment.FencingToken, sequence, batch), cancellationToken).ConfigureAwait(false);
            if (report is { Accepted: false, Stop: true })
            {
                job.Stop(report.Code ?? JobReportCodes.Stale);
                cancellationToken.ThrowIfCancellationRequested();
            }

            sequence += batch.Count;
        }

        await producer.ConfigureAwait(false);
        return sequence;
    }

    private async Task ReportProgressAsync(RunningJob job, double? percent, string? message, CancellationToken cancellationToken)
    {
        var report = await ReportAsync(job, HubMethodNames.ReportProgress, new JobProgress(job.Assignment.JobId, job.Assignment.FencingToken, percent, message), cancellationToken).ConfigureAwait(false);
        if (report is { Accepted: false, Stop: true })
        {
            Log.StoppedByServer(_logger, job.Assignment.JobId, report.Code ?? "-", report.Message ?? "-");
            job.Stop(report.Code == JobReportCodes.Cancelled ? MeshErrorCodes.Cancelled : JobReportCodes.Stale);
        }
    }

    /// <summary>Sends a report; while the connection is down, waits for it to come back (bounded by the job's cancellation).</summary>
    private async Task<JobReportResult?> ReportAsync(RunningJob job, string method, object report, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, job.Cancellation.Token);
        while (true)
        {
            try
            {
                return await _connection.InvokeAsync<JobReportResult>(method, report, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not HubException && !linked.IsCancellationRequested && ConnectionLoss.Is(ex, linked.Token))
            {
                // Disconnected: retry once the connection is back; the lease covers a short outage.
                await Task.Delay(TimeSpan.FromMilliseconds(100), _time, linked.Token).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                Log.ReportFailed(_logger, method, job.Assignment.JobId, ex.Message);
                return null;
            }
        }
    }

    /// <summary>Delivers a completion; false when the connection is down (it stays in the outbox).</summary>
    private async Task<bool> TryDeliverAsync(JobCompletion completion, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _connection.InvokeAsync<JobReportResult>(HubMethodNames.CompleteJob, completion, cancellationToken).ConfigureAwait(false);
            if (!result.Accepted && result.Code is JobReportCodes.StorageUnavailable or JobReportCodes.OwnedElsewhere)
            {
                // The server could not store it (its disk is full), or another server of the cluster holds the job until
                // its lease lapses or it is handed here: keep it and try again.
                Log.CompletionBuffered(_logger, completion.JobId);
                ScheduleRetry();
                return false;
            }

            if (!result.Accepted)
            {
                Log.CompletionRefused(_logger, completion.JobId, result.Code ?? "-", result.Message ?? "-");
            }

            return true;
        }
        catch (Exception ex) when (ex is not HubException && ConnectionLoss.Is(ex, cancellationToken))
        {
            Log.CompletionBuffered(_logger, completion.JobId);
            return false;
        }
        catch (HubException ex)
        {
            // The server failed (it did not refuse): keep the completion and try again, a bounded number of times.
            var failures = _deliveryFailures.AddOrUpdate(completion.JobId, 1, (_, n) => n + 1);
            if (failures >= MaxDeliveryFailures)
            {
                Log.CompletionAbandoned(_logger, completion.JobId, failures, ex.Message);
                _deliveryFailures.TryRemove(completion.JobId, out _);
                return true;
            }

            Log.CompletionBuffered(_logger, completion.JobId);
            ScheduleRetry();
            return false;
        }
    }

    /// <summary>Tries the outbox again a little later (while the server's storage is unavailable).</summary>
    private void ScheduleRetry()
    {
        if (Interlocked.Exchange(ref _retryScheduled, 1) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
                Interlocked.Exchange(ref _retryScheduled, 0);
                if (_connection.State == HubConnectionState.Connected)
                {
                    await FlushCompletionsAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException || ConnectionLoss.Is(ex))
            {
                Interlocked.Exchange(ref _retryScheduled, 0);
            }
        });
    }

    private Task RejectAsync(JobAssignment assignment, string code, string message)
    {
        Log.Rejecting(_logger, assignment.JobId, code, message);
        return Task.Run(async () =>
        {
            try
            {
                await _connection.InvokeAsync<JobReportResult>(HubMethodNames.RejectJob,
                    new JobNack(assignment.JobId, assignment.Attempt, assignment.FencingToken, code, message)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HubException || ConnectionLoss.Is(ex))
            {
                // The server times the assignment out and reassigns it.
            }
        });
    }

    /// <summary>Remembers an assignment; false when it was seen before. Bounded: the oldest are forgotten first.</summary>
    private bool Remember(string key)
    {
        if (!_seen.TryAdd(key, 0))
        {
            return false;
        }

        _seenOrder.Enqueue(key);
        while (_seenOrder.Count > SeenCapacity && _seenOrder.TryDequeue(out var old))
        {
            _seen.TryRemove(old, out _);
        }

        return true;
    }

    private sealed class RunningJob(JobAssignment assignment, HandlerRegistration handler) : IDisposable
    {
        public JobAssignment Assignment { get; } = assignment;

        public HandlerRegistration Handler { get; } = handler;

        public CancellationTokenSource Cancellation { get; } = new();

        public Channel<JsonElement>? Input { get; } = assignment.HasInput
            ? Channel.CreateBounded<JsonElement>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true })
            : null;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? StopReason { get; private set; }

        public void Stop(string reason)
        {
            StopReason ??= reason;
            try
            {
                Cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => Cancellation.Dispose();
    }
}
