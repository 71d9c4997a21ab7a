using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// The agents' reports about their jobs. Every report carries the assignment's fencing token; a report
/// whose token is not the job's current one (an attempt that lost its lease, or was reassigned) is
/// refused as stale and never recorded, and the agent is told to stop.
/// </summary>
internal sealed partial class JobManager
{
    public async Task<JobReportResult> AcknowledgeAsync(string agentId, JobAck ack)
    {
        var (job, refusal) = await FindForReportAsync(ack.JobId, agentId).ConfigureAwait(false);
        if (job is null)
        {
            return refusal ?? JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{ack.JobId}' is not waiting for an acknowledgement.");
        }

        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (IsStale(record, agentId, ack.FencingToken) || record.Attempt != ack.Attempt)
            {
                return Stale(job, agentId, ack.FencingToken, "acknowledgement");
            }

            if (record.Status == JobStatus.Running)
            {
                return JobReportResult.Ok;
            }

            if (record.Status != JobStatus.Assigned)
            {
                return JobReportResult.Refused(record.Status == JobStatus.Cancelled ? JobReportCodes.Cancelled : JobReportCodes.InvalidState,
                    $"Job '{job.Id}' is {record.Status}; do not run it.");
            }

            var now = _time.GetUtcNow();
            var lease = now + _jobs.LeaseDuration;
            await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Acknowledge, r => r with { AckDeadline = null, LeaseExpiresAt = lease },
                $"running on {agentId}")).ConfigureAwait(false);
            job.LeaseExpiresAt = lease;
            job.NextItemSequence = 0;
            Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.Lease), lease);
            if (record.TimeoutMs is { } timeoutMs)
            {
                // The agent stops the handler at the timeout itself; the server closes the job a moment later if it did not hear back.
                Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.Timeout), now + TimeSpan.FromMilliseconds(timeoutMs) + TimeSpan.FromSeconds(1));
            }

            _metrics.Dispatched(now - job.ReadySince);
            job.Attempt!.Acked.TrySetResult(true);
            if (job.Input is not null && !job.InputStarted)
            {
                job.InputStarted = true;
                StartInputPump(job, job.Attempt);
            }

            return JobReportResult.Ok;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    public async Task<JobReportResult> RejectAsync(string agentId, JobNack nack)
    {
        var (job, refusal) = await FindForReportAsync(nack.JobId, agentId).ConfigureAwait(false);
        if (job is null)
        {
            return refusal ?? JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{nack.JobId}' is not known.", stop: false);
        }

        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (IsStale(record, agentId, nack.FencingToken) || record.Status != JobStatus.Assigned)
            {
                return JobReportResult.Refused(JobReportCodes.Stale, "That assignment is no longer current.", stop: false);
            }

            var now = _time.GetUtcNow();
            var permanent = nack.Code is MeshErrorCodes.UnknownCommand or MeshErrorCodes.NotAllowed;
            job.Excluded[agentId] = permanent ? null : now + BusyExclusion;
            job.LastRefusal = new JobError(nack.Code, $"Agent '{agentId}' refused the job: {nack.Message}");
            Log.Refused(_logger, job.Id, agentId, nack.Code, nack.Message);
            _metrics.Refused(nack.Code);
            var retryAt = permanent ? (DateTimeOffset?)null : now + BusyExclusion;
            await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Reassign, r => r with { AckDeadline = null, NotBefore = retryAt },
                job.LastRefusal.Message)).ConfigureAwait(false);
            return JobReportResult.Ok;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    public async Task<JobReportResult> ProgressAsync(string agentId, JobProgress progress)
    {
        var (job, refusal) = await FindForReportAsync(progress.JobId, agentId).ConfigureAwait(false);
        if (job is null)
        {
            return refusal ?? JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{progress.JobId}' is not running.");
        }

        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (IsStale(record, agentId, progress.FencingToken))
            {
                return Stale(job, agentId, progress.FencingToken, "progress report");
            }

            if (record.Status != JobStatus.Running)
            {
                return JobReportResult.Refused(JobReportCodes.InvalidState, $"Job '{job.Id}' is {record.Status}.");
            }

            var now = _time.GetUtcNow();
            job.LeaseExpiresAt = now + _jobs.LeaseDuration;
            job.ProgressPercent = progress.Percent is { } percent ? Math.Clamp(percent, 0, 100) : job.ProgressPercent;
            var message = RedactorOf(job).Redact(progress.Message);
            job.ProgressMessage = message?.Length > 1024 ? message[..1024] : message;
            var jobEvent = NextEvent(job, JobEventType.Progress, now) with { Percent = job.ProgressPercent, Message = job.ProgressMessage };

            // Stored before it is published (both under the gate): a watcher attaching later replays it.
            await _store.AppendEventsAsync(job.Id, [jobEvent]).ConfigureAwait(false);
            await PublishAsync(job, jobEvent).ConfigureAwait(false);
            return JobReportResult.Ok;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    public async Task<JobReportResult> ItemsAsync(string agentId, JobItems items)
    {
        var (job, refusal) = await FindForReportAsync(items.JobId, agentId).ConfigureAwait(false);
        if (job is null)
        {
            return refusal ?? JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{items.JobId}' is not running.");
        }

        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (IsStale(record, agentId, items.FencingToken))
            {
                return Stale(job, agentId, items.FencingToken, "stream items");
            }

            if (record.Status != JobStatus.Running)
            {
                return JobReportResult.Refused(JobReportCodes.InvalidState, $"Job '{job.Id}' is {record.Status}.");
            }

            if (items.Sequence > job.NextItemSequence)
            {
                return JobReportResult.Refused(JobReportCodes.InvalidState,
                    $"Items from {job.NextItemSequence} to {items.Sequence - 1} of job '{job.Id}' are missing; resend from {job.NextItemSequence}.", stop: false);
            }

            var now = _time.GetUtcNow();
            job.LeaseExpiresAt = now + _jobs.LeaseDuration;
            var skip = (int)Math.Min(items.Items.Count, job.NextItemSequence - items.Sequence);
            if (skip == items.Items.Count)
            {
                return JobReportResult.Ok;
            }

            // One write for the batch, before any item is published (both under the gate): a watcher
            // attaching later replays them from the store, one attached now gets them live
            // (unless StoreStreamItems is off, when only attached watchers see them).
            var events = new JobEvent[items.Items.Count - skip];
            for (var i = skip; i < items.Items.Count; i++)
            {
                events[i - skip] = NextEvent(job, JobEventType.Item, now) with { Item = RedactorOf(job).Redact(items.Items[i]) };
            }

            if (_jobs.StoreStreamItems)
            {
                await _store.AppendEventsAsync(job.Id, events).ConfigureAwait(false);
            }

            foreach (var jobEvent in events)
            {
                await PublishAsync(job, jobEvent).ConfigureAwait(false);
                job.NextItemSequence++;
            }

            return JobReportResult.Ok;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    public async Task<JobReportResult> CompleteAsync(string agentId, JobCompletion completion)
    {
        _active.TryGetValue(completion.JobId, out var job);
        JobReportResult? refusal;
        if (job is null)
        {
            // A completion the agent repeats after a reconnect, for a job that finished and left memory.
            var stored = await _store.GetAsync(completion.JobId).ConfigureAwait(false);
            if (stored is { IsFinal: true })
            {
                return stored.FencingToken == completion.FencingToken && stored.AgentId == agentId
                    ? JobReportResult.Ok
                    : JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{completion.JobId}' is not running under that assignment.");
            }

            (job, refusal) = stored is null || IsStale(stored, agentId, completion.FencingToken) ? (null, null) : await FindForReportAsync(completion.JobId, agentId).ConfigureAwait(false);
            if (job is null)
            {
                return refusal ?? JobReportResult.Refused(JobReportCodes.UnknownJob, $"Job '{completion.JobId}' is not running under that assignment.");
            }
        }

        await job.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var record = job.Record;
            if (IsStale(record, agentId, completion.FencingToken))
            {
                return Stale(job, agentId, completion.FencingToken, "completion");
            }

            if (record.IsFinal)
            {
                // Already recorded (a repeated completion), or closed by the server (timeout, cancel grace): either way, nothing more to do.
                return JobReportResult.Ok;
            }

            if (record.Status != JobStatus.Running)
            {
                return JobReportResult.Refused(JobReportCodes.InvalidState, $"Job '{job.Id}' is {record.Status}; this assignment no longer holds it, and the completion was not recorded.");
            }

            if (completion.ItemCount > job.NextItemSequence)
            {
                return JobReportResult.Refused(JobReportCodes.InvalidState,
                    $"The job streamed {completion.ItemCount} items but the server has {job.NextItemSequence}; send the rest first.", stop: false);
            }

            var now = _time.GetUtcNow();
            await CommitAsync(job, DecideCompletion(job, record, completion, now)).ConfigureAwait(false);
            return JobReportResult.Ok;
        }
        finally
        {
            job.Gate.Release();
        }
    }

    /// <summary>The job's secret redactor (a handler may echo a secret parameter; it must not be stored in clear).</summary>
    private SecretRedactor RedactorOf(ActiveJob job) => job.Redactor ??= _secrets.RedactorFor(job.Record);

    private Change DecideCompletion(ActiveJob job, JobRecord record, JobCompletion completion, DateTimeOffset now)
    {
        var redactor = RedactorOf(job);
        if (!redactor.IsEmpty)
        {
            completion = completion with { Result = redactor.Redact(completion.Result), Error = redactor.Redact(completion.Error) };
        }

        var change = Change.Start(job, now);
        if (completion.Success)
        {
            return change.Apply(JobTrigger.Complete, r => r with { Result = completion.Result, Error = null, ProgressPercent = 100 },
                $"completed on {record.AgentId}");
        }

        var error = completion.Error ?? new JobError(MeshErrorCodes.HandlerFailed, "The agent reported a failure without an error.");
        if (record.CancelRequested || error.Code == MeshErrorCodes.Cancelled)
        {
            var cancelled = record.Error is { Code: MeshErrorCodes.Cancelled } requested ? requested : error with { Code = MeshErrorCodes.Cancelled };
            return change.Apply(JobTrigger.Cancel, r => r with { Error = cancelled }, cancelled.Message);
        }

        if (error.Code == MeshErrorCodes.Timeout)
        {
            return change.Apply(JobTrigger.TimeOut, r => r with { Error = error }, error.Message);
        }

        if (error.Code == MeshErrorCodes.AgentShutdown && !job.InputStarted)
        {
            job.Excluded[record.AgentId!] = now + _jobs.LeaseDuration;
            return change.Apply(JobTrigger.Release, r => r with { LeaseExpiresAt = null }, error.Message);
        }

        var failed = record.FailedAttempts + 1;
        change.Apply(JobTrigger.Fail, r => r with { Error = error, FailedAttempts = failed }, error.Message);
        var retryable = error.Code is MeshErrorCodes.HandlerFailed or MeshErrorCodes.Internal or MeshErrorCodes.AgentShutdown;
        if (retryable && job.InputStarted)
        {
            // The caller's input was consumed by this attempt and cannot be replayed.
            return change;
        }

        if (retryable && failed < record.MaxAttempts)
        {
            var delay = RetryDelay(failed);
            Log.RetryScheduled(_logger, job.Id, failed, record.MaxAttempts, delay.TotalMilliseconds);
            return change.Apply(JobTrigger.Retry, r => r with { NotBefore = now + delay, LeaseExpiresAt = null },
                $"retry {failed + 1} of {record.MaxAttempts} in {delay.TotalMilliseconds:0} ms");
        }

        if (retryable && record.MaxAttempts > 1)
        {
            return change.Apply(JobTrigger.DeadLetter, message: $"failed {failed} times; dead-lettered");
        }

        return change;
    }

    /// <summary>Exponential backoff with jitter: between half and all of base × 2^(failures - 1), capped.</summary>
    private TimeSpan RetryDelay(int failures)
    {
        var exponential = _jobs.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(30, failures - 1));
        var capped = Math.Min(exponential, _jobs.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    /// <summary>Renews the leases of the jobs an agent says it holds; tells it to stop the ones it no longer owns.</summary>
    public async Task OnHeldJobsAsync(string agentId, string connectionId, IReadOnlyList<HeldJob>? held)
    {
        if (held is null || held.Count == 0)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var item in held)
        {
            var current = false;
            if (_ownership.Shared && !_active.ContainsKey(item.JobId)
                && await _store.GetAsync(item.JobId).ConfigureAwait(false) is { IsFinal: false } stored && !IsStale(stored, agentId, item.FencingToken)
                && (await TakeForReportAsync(item.JobId, agentId).ConfigureAwait(false)).Refusal is not null)
            {
                // Another server's lease holds it: leave it be (an orphan was claimed here just now and is renewed below).
                continue;
            }

            if (_active.TryGetValue(item.JobId, out var job))
            {
                await job.Gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    if (!IsStale(job.Record, agentId, item.FencingToken) && JobStateMachine.IsWithAgent(job.Record.Status))
                    {
                        current = true;
                        job.LeaseExpiresAt = now + _jobs.LeaseDuration;
                        if (job.Attempt is { } attempt)
                        {
                            attempt.ConnectionId = connectionId;
                        }
                    }
                }
                finally
                {
                    job.Gate.Release();
                }
            }

            if (!current)
            {
                Log.StaleHeldJob(_logger, item.JobId, agentId, item.FencingToken);
                try
                {
                    await _hub.Clients.Client(connectionId).CancelJob(new JobCancellation(item.JobId, item.FencingToken, JobReportCodes.Stale)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException)
                {
                }
            }
        }
    }

    /// <summary>An agent connected: jobs waiting for agents are examined again.</summary>
    public void OnAgentRegistered()
    {
        Queue.RequeueUnmatched();
        Queue.Unpark(int.MaxValue);
    }

    /// <summary>
    /// An agent's connection closed: jobs it had not acknowledged go to other agents at once. Running
    /// jobs keep their lease: the agent may reconnect and report them; if it does not, the lease lapses.
    /// </summary>
    public async Task OnAgentDisconnectedAsync(string agentId, string connectionId)
    {
        foreach (var job in _active.Values)
        {
            if (job.Attempt is not { } attempt || attempt.AgentId != agentId || attempt.ConnectionId != connectionId || job.Record.Status != JobStatus.Assigned)
            {
                continue;
            }

            await ReassignAsync(job, attempt, $"agent '{agentId}' disconnected before acknowledging", TimeSpan.Zero).ConfigureAwait(false);
        }
    }

    /// <summary>The job a report is about: held here, or (on a cluster) claimed now from an owner that is gone.</summary>
    private async Task<(ActiveJob? Job, JobReportResult? Refusal)> FindForReportAsync(string jobId, string agentId)
    {
        if (_active.TryGetValue(jobId, out var job))
        {
            return (job, null);
        }

        return _ownership.Shared ? await TakeForReportAsync(jobId, agentId).ConfigureAwait(false) : (null, null);
    }

    private static bool IsStale(JobRecord record, string agentId, long fencingToken) =>
        record.FencingToken != fencingToken || !string.Equals(record.AgentId, agentId, StringComparison.Ordinal);

    private JobReportResult Stale(ActiveJob job, string agentId, long fencingToken, string what)
    {
        Log.StaleReport(_logger, what, job.Id, agentId, fencingToken, job.Record.FencingToken);
        return JobReportResult.Refused(JobReportCodes.Stale,
            $"The {what} for job '{job.Id}' carries fencing token {fencingToken}, but the job now belongs to another assignment; it was not recorded. Stop the job.");
    }
}
