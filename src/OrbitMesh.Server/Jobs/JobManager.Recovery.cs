using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Recovery after a restart (or a crash): every unfinished job is loaded back. Pending jobs are
/// queued; jobs that were Assigned (their acknowledgement may never have arrived) go back to Pending;
/// Running jobs keep their assignment with a fresh lease, waiting for their agent to reconnect and
/// report them (a completion it buffered while the server was down is then accepted).
/// </summary>
internal sealed partial class JobManager
{
    private DateTimeOffset _restartGraceUntil = DateTimeOffset.MinValue;

    /// <summary>True while the server waits for its agents after a restart (<see cref="OrbitMeshServerOptions.RestartGracePeriod"/>).</summary>
    public bool InRestartGrace => _time.GetUtcNow() < _restartGraceUntil;

    /// <summary>Completes once recovery loaded every unfinished job (agents' registrations wait for it).</summary>
    public Task Recovered => _recovered.Task;

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RecoverCoreAsync(cancellationToken).ConfigureAwait(false);
            _recovered.TrySetResult();
        }
        catch (Exception ex)
        {
            _recovered.TrySetException(ex);
            throw;
        }
    }

    private async Task RecoverCoreAsync(CancellationToken cancellationToken)
    {
        // On a cluster, only the jobs this server owned before its restart are its own; the intake claims the rest.
        var unfinished = _ownership.Shared
            ? await ClaimOwnAsync(cancellationToken).ConfigureAwait(false)
            : await _store.LoadUnfinishedAsync(cancellationToken).ConfigureAwait(false);
        var maxToken = await _store.GetMaxFencingTokenAsync(cancellationToken).ConfigureAwait(false);
        InterlockedMax(ref _nextFencingToken, maxToken + 1);

        var now = _time.GetUtcNow();

        // A restart (the server knew agents, or had unfinished jobs): its agents are coming back. Until
        // the grace period ends, nobody is treated as lost for not being back yet.
        if (unfinished.Count > 0 || _registry.KnownCount > 0)
        {
            _restartGraceUntil = now + _options.RestartGracePeriod;
        }

        var recoveredLease = _jobs.LeaseDuration > _options.RestartGracePeriod ? _jobs.LeaseDuration : _options.RestartGracePeriod;
        var counts = new int[3];
        foreach (var record in unfinished)
        {
            await AdoptAsync(record, now, recoveredLease, counts, cancellationToken).ConfigureAwait(false);
        }

        Log.Recovered(_logger, counts[0], counts[1], counts[2]);
    }

    /// <summary>
    /// Takes a stored unfinished job into memory: Pending is queued, Assigned goes back to Pending (its
    /// acknowledgement may never have arrived), Running keeps its assignment with a fresh lease of
    /// <paramref name="lease"/>, waiting for its agent to report it. Counts pending, reassigned and running.
    /// </summary>
    private async Task AdoptAsync(JobRecord record, DateTimeOffset now, TimeSpan lease, int[] counts, CancellationToken cancellationToken)
    {
        var job = new ActiveJob(record)
        {
            EventSequence = await LastSequenceAsync(record.Id, cancellationToken).ConfigureAwait(false),
            ReadySince = now, // the dispatch latency metric counts from the restart, not from before the crash
        };
        if (!_active.TryAdd(record.Id, job))
        {
            return;
        }

        job.HoldsAdmission = record.Status == JobStatus.Pending && _admission.Wait(0, CancellationToken.None);
        switch (record.Status)
        {
            case JobStatus.Pending:
                counts[0]++;
                if (record.NotBefore is { } notBefore && notBefore > now)
                {
                    Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.NotBefore), notBefore);
                }
                else
                {
                    await Queue.EnqueueAsync(job.Id, record.Priority, cancellationToken).ConfigureAwait(false);
                }

                break;

            case JobStatus.Assigned:
                counts[1]++;
                await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await CommitAsync(job, Change.Start(job, now).Apply(JobTrigger.Reassign, r => r with { AckDeadline = null },
                        "the server restarted before the agent acknowledged")).ConfigureAwait(false);
                }
                finally
                {
                    job.Gate.Release();
                }

                break;

            case JobStatus.Running:
                counts[2]++;
                var connection = _registry.Find(record.AgentId!)?.ConnectionId ?? string.Empty;
                job.Attempt = new AttemptState(record.Attempt, record.FencingToken, record.AgentId!, connection) { JobId = record.Id };
                job.Attempt.Acked.TrySetResult(true);
                job.LeaseExpiresAt = now + lease;
                _slots.Adopt(record.AgentId!);
                Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.Lease), job.LeaseExpiresAt.Value);
                if (record.TimeoutMs is { } timeoutMs)
                {
                    Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.Timeout), now + TimeSpan.FromMilliseconds(timeoutMs) + TimeSpan.FromSeconds(1));
                }

                if (record.CancelRequested)
                {
                    Deadlines.Add(new Deadline(job.Id, record.FencingToken, DeadlineKind.CancelGrace), now + _jobs.CancelGracePeriod);
                }

                break;
        }
    }

    /// <summary>
    /// An agent registered on <paramref name="connectionId"/> and listed the jobs it still holds (running,
    /// or finished with the result not yet delivered). Jobs the server has it running from before this
    /// registration that it did not list are not on the agent: they go to another agent now instead of
    /// waiting for their lease to lapse. Jobs assigned on this very connection are left alone: the agent
    /// becomes selectable as soon as it is in the registry, so a job may be assigned and acknowledged
    /// while its registration (whose list was made before) is still being processed.
    /// </summary>
    public async Task ReleaseUnheldAsync(string agentId, string connectionId, IReadOnlyList<HeldJob>? held)
    {
        var holding = held?.Select(h => (h.JobId, h.FencingToken)).ToHashSet() ?? [];
        foreach (var job in _active.Values)
        {
            if (!IsUnheld(job, agentId, connectionId, holding))
            {
                continue;
            }

            await job.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (IsUnheld(job, agentId, connectionId, holding))
                {
                    Log.Unheld(_logger, job.Id, agentId);
                    await CommitAsync(job, Change.Start(job, _time.GetUtcNow()).Apply(JobTrigger.Release, r => r with { LeaseExpiresAt = null },
                        $"agent '{agentId}' reconnected without it")).ConfigureAwait(false);
                }
            }
            finally
            {
                job.Gate.Release();
            }
        }

        static bool IsUnheld(ActiveJob job, string agentId, string connectionId, HashSet<(string JobId, long FencingToken)> holding)
        {
            var record = job.Record;
            return record.AgentId == agentId
                && record.Status == JobStatus.Running
                && job.Attempt?.ConnectionId != connectionId
                && !holding.Contains((record.Id, record.FencingToken));
        }
    }

    private async Task<long> LastSequenceAsync(string jobId, CancellationToken cancellationToken)
    {
        var events = await _store.GetEventsAsync(jobId, 0, cancellationToken).ConfigureAwait(false);
        return events.Count == 0 ? 1 : events[^1].Sequence;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
