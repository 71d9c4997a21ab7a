using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Diagnostics;
using OrbitMesh.Execution;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using Polly.CircuitBreaker;

namespace OrbitMesh.Server.Jobs;

/// <summary>What happened when the dispatcher tried to place a job.</summary>
internal enum AssignOutcome
{
    /// <summary>Sent to an agent.</summary>
    Assigned,

    /// <summary>Matching agents exist but all are full (or briefly unavailable): parked until a slot frees.</summary>
    Parked,

    /// <summary>No connected agent matches: set aside until one connects (or the no-agent timeout).</summary>
    Unmatched,

    /// <summary>The job ended (failed) because no agent can take it.</summary>
    Failed,

    /// <summary>Nothing to do: the job is gone, not pending, or not due yet.</summary>
    Skipped,
}

internal sealed partial class JobManager
{
    private static readonly TimeSpan BusyExclusion = TimeSpan.FromMilliseconds(250);
    private MeshDelegate? _pipeline;

    /// <summary>Places one pending job on an agent, or parks it.</summary>
    public async Task<AssignOutcome> TryAssignAsync(string jobId, CancellationToken cancellationToken)
    {
        if (!_active.TryGetValue(jobId, out var job))
        {
            return AssignOutcome.Skipped;
        }

        AttemptState attempt;
        await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = job.Record;
            var now = _time.GetUtcNow();
            if (record.Status != JobStatus.Pending)
            {
                return AssignOutcome.Skipped;
            }

            if (record.NotBefore is { } notBefore && notBefore > now)
            {
                Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.NotBefore), notBefore);
                return AssignOutcome.Skipped;
            }

            if (record.Attempt >= _jobs.MaxDeliveries)
            {
                await FailUnplacedAsync(job, new JobError("delivery_limit",
                    $"The job was delivered {record.Attempt} times without finishing (the limit is {_jobs.MaxDeliveries})."), now).ConfigureAwait(false);
                return AssignOutcome.Failed;
            }

            var (agent, reason) = SelectAgent(job, now);
            if (agent is null)
            {
                switch (reason)
                {
                    case NoAgentReason.AllRefused:
                        await FailUnplacedAsync(job, job.LastRefusal!, now).ConfigureAwait(false);
                        return AssignOutcome.Failed;
                    case NoAgentReason.NoMatch:
                        job.UnmatchedSince ??= now;
                        if (now - job.UnmatchedSince.Value >= _jobs.NoAgentTimeout && !InRestartGrace)
                        {
                            await FailUnplacedAsync(job, job.LastRefusal ?? new JobError(MeshErrorCodes.NoAgent,
                                $"No connected agent matches {record.Target?.ToString() ?? "any agent"} with a handler for '{record.Command}' (waited {_jobs.NoAgentTimeout.TotalSeconds:0.#} s)."), now).ConfigureAwait(false);
                            return AssignOutcome.Failed;
                        }

                        Queue.Unmatched(job.Id, record.Priority);
                        return AssignOutcome.Unmatched;
                    default:
                        job.UnmatchedSince = null;
                        Queue.Park(job.Id, record.Priority);
                        return AssignOutcome.Parked;
                }
            }

            job.UnmatchedSince = null;
            attempt = new AttemptState(record.Attempt + 1, NextFencingToken(record), agent.Id, agent.ConnectionId!) { JobId = job.Id };
            var change = Change.Start(job, now).Apply(JobTrigger.Assign, r => r with
            {
                AgentId = attempt.AgentId,
                Attempt = attempt.Attempt,
                FencingToken = attempt.FencingToken,
                AckDeadline = now + _jobs.AckTimeout,
                NotBefore = null,
                LeaseExpiresAt = null,
            }, $"assigned to {agent.Id}");
            try
            {
                job.Attempt = attempt;
                await CommitAsync(job, change).ConfigureAwait(false);
            }
            catch
            {
                job.Attempt = null;
                _slots.Release(agent.Id);
                throw;
            }
        }
        finally
        {
            job.Gate.Release();
        }

        _ = Task.Run(() => DeliverAsync(job, attempt), CancellationToken.None);
        return AssignOutcome.Assigned;
    }

    private enum NoAgentReason
    {
        None,
        NoMatch,
        Busy,
        AllRefused,
    }

    /// <summary>Chooses an agent and reserves a slot on it. The caller holds the job's gate.</summary>
    private (AgentEntry? Agent, NoAgentReason Reason) SelectAgent(ActiveJob job, DateTimeOffset now)
    {
        var record = job.Record;
        var eligible = new List<AgentEntry>();
        var matched = 0;
        var refused = 0;
        foreach (var entry in _registry.Matching(record.Target, record.Command))
        {
            matched++;
            if (job.Excluded.TryGetValue(entry.Id, out var until))
            {
                if (until is null)
                {
                    refused++;
                    continue;
                }

                if (until > now)
                {
                    continue;
                }

                job.Excluded.Remove(entry.Id);
            }

            if (entry.AcceptsWork && !_resilience.IsOpen(entry.Id))
            {
                eligible.Add(entry);
            }
        }

        if (matched == 0)
        {
            return (null, NoAgentReason.NoMatch);
        }

        if (eligible.Count == 0)
        {
            return (null, refused == matched && job.LastRefusal is not null ? NoAgentReason.AllRefused : NoAgentReason.Busy);
        }

        IEnumerable<AgentEntry> ranked;
        if (_selector is LeastLoadedAgentSelector)
        {
            // The default ranking without snapshots: the fewest assigned jobs for the limit, then heartbeat load, ties at random.
            ranked = eligible
                .Select(e => (Entry: e, Share: (double)_slots.InFlight(e.Id) / Math.Max(1, _slots.Limit(e.Id)), Load: e.Load.Utilization, Tie: Random.Shared.Next()))
                .OrderBy(c => c.Share).ThenBy(c => c.Load).ThenBy(c => c.Tie)
                .Select(c => c.Entry);
        }
        else
        {
            var byId = eligible.ToDictionary(e => e.Id, StringComparer.Ordinal);
            var candidates = eligible.Select(e => new AgentCandidate(_registry.Snapshot(e), _slots.InFlight(e.Id), _slots.Limit(e.Id))).ToList();
            ranked = _selector.Rank(record, candidates).Select(c => byId.GetValueOrDefault(c.Agent.Id)).OfType<AgentEntry>();
        }

        foreach (var entry in ranked)
        {
            if (_slots.TryReserve(entry.Id))
            {
                _registry.OnActivity(entry.Id, _slots.InFlight(entry.Id));
                return (entry, NoAgentReason.None);
            }
        }

        return (null, NoAgentReason.Busy);
    }

    private async Task FailUnplacedAsync(ActiveJob job, JobError error, DateTimeOffset now)
    {
        Log.Unplaceable(_logger, job.Id, error.Message);
        await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Fail, r => r with { Error = error }, error.Message)).ConfigureAwait(false);
    }

    /// <summary>Runs the server middleware around one attempt's delivery and waits for the attempt to end.</summary>
    private async Task DeliverAsync(ActiveJob job, AttemptState attempt)
    {
        _pipeline ??= MeshPipeline.Build([.. _options.Middleware], SendAndAwaitAsync);
        var record = job.Record;
        using var logScope = _logger.BeginScope(new MeshLogScope(attempt.AgentId, job.Id));
        var scope = _scopes.CreateAsyncScope();
        await using var scopeDisposal = scope.ConfigureAwait(false);
        var context = new MeshContext(MeshSide.Server, job.Id, record.Command, record.Parameters, scope.ServiceProvider, attempt.Ended.Token)
        {
            AgentId = attempt.AgentId,
            Attempt = attempt.Attempt,
            Pattern = record.Pattern,
            CorrelationId = record.CorrelationId,
        };
        context.Items[AttemptItem] = (job, attempt);

        try
        {
            await _pipeline(context).ConfigureAwait(false);
            if (!attempt.Sent)
            {
                await EndUnsentAttemptAsync(job, attempt, context.Result).ConfigureAwait(false);
            }
        }
        catch (JobSecretsUnavailableException ex)
        {
            Log.SecretsUnavailable(_logger, job.Id, ex.Message);
            await EndUnsentAttemptAsync(job, attempt, new JobResult
            {
                JobId = job.Id,
                Status = JobStatus.Failed,
                Error = new JobError(MeshErrorCodes.Internal, ex.Message),
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (!attempt.Sent)
        {
            Log.MiddlewareFailed(_logger, job.Id, ex);
            await EndUnsentAttemptAsync(job, attempt, new JobResult
            {
                JobId = job.Id,
                Status = JobStatus.Failed,
                Error = new JobError(MeshErrorCodes.NotAllowed, $"Dispatch middleware refused the job: {ex.Message}", ex.GetType().FullName),
            }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(_logger, job.Id, ex);
        }
    }

    private const string AttemptItem = "orbitmesh.attempt";

    /// <summary>The end of the server pipeline: send the assignment through the agent's circuit breaker, wait for the acknowledgement, then for the outcome.</summary>
    private async Task SendAndAwaitAsync(MeshContext context)
    {
        var (job, attempt) = ((ActiveJob, AttemptState))context.Items[AttemptItem]!;
        var record = job.Record;
        using var activity = OrbitMeshDiagnostics.StartActivity(OrbitMeshDiagnostics.DispatchActivity, ActivityKind.Producer, record.TraceParent);
        if (activity is not null)
        {
            activity.SetTag(OrbitMeshDiagnostics.JobIdTag, job.Id);
            activity.SetTag(OrbitMeshDiagnostics.CommandTag, record.Command);
            activity.SetTag(OrbitMeshDiagnostics.AgentIdTag, attempt.AgentId);
            activity.SetTag(OrbitMeshDiagnostics.AttemptTag, attempt.Attempt);
        }

        var assignment = new JobAssignment
        {
            JobId = job.Id,
            Attempt = attempt.Attempt,
            FencingToken = attempt.FencingToken,
            IdempotencyKey = record.IdempotencyKey,
            Command = record.Command,
            Parameters = _secrets.Open(record, context.Parameters),
            Pattern = record.Pattern,
            TimeoutMs = record.TimeoutMs,
            CorrelationId = record.CorrelationId,
            HasInput = job.Input is not null,
            LeaseDurationMs = (int)_jobs.LeaseDuration.TotalMilliseconds,
            TraceParent = activity?.Id ?? record.TraceParent,
            Nonce = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            ExpiresAt = _time.GetUtcNow() + _assignmentLifetime,
        };

        attempt.Sent = true;
        try
        {
            await _resilience.ExecuteAsync(attempt.AgentId, async ct =>
            {
                try
                {
                    await _hub.Clients.Client(attempt.ConnectionId).AssignJob(assignment).ConfigureAwait(false);
                    Log.Sent(_logger, job.Id, attempt.AgentId, attempt.Attempt, attempt.FencingToken);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                    throw new AgentUnreachableException($"The assignment could not be sent to agent '{attempt.AgentId}': {ex.Message}", ex);
                }

                return await attempt.Acked.Task.WaitAsync(_jobs.AckTimeout, _time, ct).ConfigureAwait(false);
            }, attempt.Ended.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "acknowledgement timed out");
            _metrics.AckTimedOut();
            Log.AckTimedOut(_logger, job.Id, attempt.AgentId, _jobs.AckTimeout.TotalMilliseconds);
            await ReassignAsync(job, attempt, $"agent '{attempt.AgentId}' did not acknowledge within {_jobs.AckTimeout.TotalMilliseconds:0} ms", _jobs.LeaseDuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BrokenCircuitException or AgentUnreachableException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            await ReassignAsync(job, attempt, $"agent '{attempt.AgentId}' is unavailable: {ex.Message}", _jobs.LeaseDuration).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (attempt.Ended.IsCancellationRequested)
        {
            // The attempt ended while waiting (cancelled, refused, agent gone).
        }

        // The dispatch span ends with the acknowledgement (or its failure), not with the job; the using above covers exceptions.
        activity?.Dispose();
        context.Result = await attempt.Outcome.Task.ConfigureAwait(false);
    }

    /// <summary>A middleware ended the dispatch without sending: record its result (or a failure) as the attempt's outcome.</summary>
    private async Task EndUnsentAttemptAsync(ActiveJob job, AttemptState attempt, JobResult? result)
    {
        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(job.Attempt, attempt) || job.Record.Status != JobStatus.Assigned)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var change = Change.Start(job, now).Apply(JobTrigger.Acknowledge, message: "handled by dispatch middleware");
            if (result is { Status: JobStatus.Completed })
            {
                change.Apply(JobTrigger.Complete, r => r with { Result = result.Result, Error = null }, "completed by dispatch middleware");
            }
            else
            {
                var error = result?.Error ?? new JobError(MeshErrorCodes.Internal, "A dispatch middleware ended the job without a result.");
                change.Apply(JobTrigger.Fail, r => r with { Error = error, FailedAttempts = r.FailedAttempts + 1 }, error.Message);
            }

            await CommitAsync(job, change).ConfigureAwait(false);
        }
        finally
        {
            job.Gate.Release();
        }
    }

    /// <summary>Takes a job back from an agent that did not acknowledge it, and queues it for another.</summary>
    private async Task ReassignAsync(ActiveJob job, AttemptState attempt, string reason, TimeSpan exclusion)
    {
        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!ReferenceEquals(job.Attempt, attempt) || job.Record.Status != JobStatus.Assigned)
            {
                return;
            }

            var now = _time.GetUtcNow();
            job.Excluded[attempt.AgentId] = now + exclusion;
            Log.Reassigned(_logger, job.Id, attempt.AgentId, reason);
            await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Reassign, r => r with { AckDeadline = null }, reason)).ConfigureAwait(false);
        }
        finally
        {
            job.Gate.Release();
        }
    }

    /// <summary>Streams the caller's input to the running attempt, batching whatever is ready.</summary>
    private void StartInputPump(ActiveJob job, AttemptState attempt)
    {
        var input = job.Input!;
        _ = Task.Run(async () =>
        {
            var buffer = Channel.CreateBounded<System.Text.Json.JsonElement>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
            var producer = Task.Run(async () =>
            {
                try
                {
                    await foreach (var item in input.WithCancellation(attempt.Ended.Token).ConfigureAwait(false))
                    {
                        await buffer.Writer.WriteAsync(item, attempt.Ended.Token).ConfigureAwait(false);
                    }

                    buffer.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    buffer.Writer.TryComplete(ex);
                }
            });

            long sequence = 0;
            try
            {
                while (await buffer.Reader.WaitToReadAsync(attempt.Ended.Token).ConfigureAwait(false))
                {
                    var batch = new List<System.Text.Json.JsonElement>();
                    while (batch.Count < 256 && buffer.Reader.TryRead(out var item))
                    {
                        batch.Add(item);
                    }

                    await _hub.Clients.Client(attempt.ConnectionId).JobInput(new JobInputChunk(job.Id, attempt.FencingToken, sequence, batch, Completed: false)).ConfigureAwait(false);
                    sequence += batch.Count;
                }

                await _hub.Clients.Client(attempt.ConnectionId).JobInput(new JobInputChunk(job.Id, attempt.FencingToken, sequence, [], Completed: true)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (attempt.Ended.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Log.InputFailed(_logger, job.Id, ex.Message);
                try
                {
                    await _hub.Clients.Client(attempt.ConnectionId).JobInput(new JobInputChunk(job.Id, attempt.FencingToken, sequence, [], Completed: true, Error: ex.Message)).ConfigureAwait(false);
                }
                catch (Exception sendError) when (sendError is IOException or InvalidOperationException)
                {
                }
            }

            await producer.ConfigureAwait(false);
        });
    }

    /// <summary>Dispatches jobs whose retry backoff ended, enforces leases, timeouts and cancel grace periods, and re-examines waiting jobs.</summary>
    public async Task TickAsync(bool reexamineWaiting)
    {
        var now = _time.GetUtcNow();
        foreach (var deadline in Deadlines.TakeDue(now))
        {
            if (_active.TryGetValue(deadline.JobId, out var job))
            {
                await HandleDeadlineAsync(job, deadline, now).ConfigureAwait(false);
            }
        }

        if (reexamineWaiting)
        {
            Queue.RequeueUnmatched();
            Queue.Unpark(Math.Max(1, FreeSlots()));
        }
    }

    private async Task HandleDeadlineAsync(ActiveJob job, Deadline deadline, DateTimeOffset now)
    {
        AttemptState? stop = null;
        string? stopReason = null;
        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (record.FencingToken != deadline.FencingToken)
            {
                return;
            }

            switch (deadline.Kind)
            {
                case DeadlineKind.NotBefore when record.Status == JobStatus.Pending:
                    await Queue.EnqueueAsync(job.Id, record.Priority, CancellationToken.None).ConfigureAwait(false);
                    break;

                case DeadlineKind.Lease when record.Status == JobStatus.Running:
                    if (job.LeaseExpiresAt is { } expires && expires > now)
                    {
                        Deadlines.Add(deadline, expires);
                        break;
                    }

                    stop = job.Attempt;
                    stopReason = "lease_expired";
                    job.Excluded[record.AgentId!] = now + _jobs.LeaseDuration;
                    Log.LeaseExpired(_logger, job.Id, record.AgentId ?? "-", record.FencingToken);
                    _metrics.LeaseExpired();
                    await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.LeaseExpired, r => r with { LeaseExpiresAt = null },
                        $"the lease of agent '{record.AgentId}' lapsed")).ConfigureAwait(false);
                    break;

                case DeadlineKind.Timeout when record.Status == JobStatus.Running:
                    stop = job.Attempt;
                    stopReason = MeshErrorCodes.Timeout;
                    var timeoutError = new JobError(MeshErrorCodes.Timeout, $"The job did not finish within {record.TimeoutMs} ms.");
                    await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.TimeOut, r => r with { Error = timeoutError }, timeoutError.Message)).ConfigureAwait(false);
                    break;

                case DeadlineKind.CancelGrace when record.Status == JobStatus.Running && record.CancelRequested:
                    var cancelError = record.Error ?? new JobError(MeshErrorCodes.Cancelled, "Cancelled; the agent did not confirm within the grace period.");
                    await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Cancel, r => r with { Error = cancelError }, cancelError.Message)).ConfigureAwait(false);
                    break;
            }
        }
        finally
        {
            job.Gate.Release();
        }

        if (stop is not null)
        {
            await TellAgentToStopAsync(stop, stopReason!).ConfigureAwait(false);
        }
    }
}
