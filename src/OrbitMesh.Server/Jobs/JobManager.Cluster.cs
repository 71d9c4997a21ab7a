using OrbitMesh.Protocol;
using OrbitMesh.Server.Cluster;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// The job path on a cluster (<see cref="JobOwnership.Shared"/>): this server holds only the jobs it claimed in the
/// store. Claims at submission, adoption of what the intake claimed, reports for jobs held elsewhere, release of
/// jobs none of its agents takes, and the loss of its lease. On a single server none of this runs.
/// </summary>
internal sealed partial class JobManager
{
    private static readonly TimeSpan StoredFollowInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>This server's handle on the shared job claims.</summary>
    public JobOwnership Ownership => _ownership;

    /// <summary>Claims a job just submitted here when this server can run it (always when the caller streams input, which only this server holds); null when it is left for the others.</summary>
    private async Task<JobRecord?> ClaimAtSubmitAsync(JobRecord record, IAsyncEnumerable<System.Text.Json.JsonElement>? input)
    {
        if (input is null && !AnyAgentWouldRun(record.Command, record.Target))
        {
            return null;
        }

        var claimed = await _ownership.ClaimAsync(new JobClaimRequest { JobIds = [record.Id], Accept = _ => true, Limit = 1 }, CancellationToken.None).ConfigureAwait(false);
        return claimed.Count == 1 ? claimed[0] : null;
    }

    /// <summary>The jobs this server owned before it restarted (same server id), claimed back.</summary>
    private async Task<IReadOnlyList<JobRecord>> ClaimOwnAsync(CancellationToken cancellationToken)
    {
        // Renewed first: a lapsed lease would let the others take back what is claimed here.
        await _ownership.RenewLeaseAsync(_ownership.Lease, cancellationToken).ConfigureAwait(false);
        var own = new List<JobRecord>();
        while (true)
        {
            var batch = await _ownership.ClaimAsync(new JobClaimRequest
            {
                IncludeOwn = true,
                Accept = c => c.Owner == _ownership.ServerId,
                Limit = 1000,
                ScanLimit = 1000,
            }, cancellationToken).ConfigureAwait(false);
            own.AddRange(batch);
            if (batch.Count < 1000)
            {
                return own;
            }
        }
    }

    /// <summary>True when this server holds the job in memory.</summary>
    public bool Holds(string jobId) => _active.ContainsKey(jobId);

    /// <summary>Whether a claim candidate is one this server can serve now: see <see cref="ClusterJobIntake"/>.</summary>
    public bool CanServe(JobRecord job) => job.Status switch
    {
        JobStatus.Pending => AnyAgentWouldRun(job.Command, job.Target),
        JobStatus.Assigned or JobStatus.Running => job.AgentId is { } agent && _registry.Find(agent)?.ConnectionId is not null,
        _ => false,
    };

    /// <summary>Takes jobs the intake claimed into memory, as recovery does after a restart.</summary>
    public async Task AdoptClaimedAsync(IReadOnlyList<JobRecord> claimed, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var counts = new int[3];
        foreach (var record in claimed)
        {
            await AdoptAsync(record, now, _jobs.LeaseDuration, counts, cancellationToken).ConfigureAwait(false);
        }

        if (claimed.Count > 0)
        {
            Log.Claimed(_logger, counts[0], counts[1], counts[2]);
        }
    }

    /// <summary>
    /// A report from one of this server's agents for a job this server does not hold. When the job's owner is gone
    /// (or it has none), the job is claimed here and the report goes on; while another server's lease holds it, the
    /// report is refused with <see cref="JobReportCodes.OwnedElsewhere"/>, and the agent sends it again later.
    /// </summary>
    private async Task<(ActiveJob? Job, JobReportResult? Refusal)> TakeForReportAsync(string jobId, string agentId)
    {
        if (await _ownership.OwnedElsewhereAsync(jobId, CancellationToken.None).ConfigureAwait(false))
        {
            return (null, JobReportResult.Refused(JobReportCodes.OwnedElsewhere,
                $"Job '{jobId}' is held by another server; send the report again later.", stop: false));
        }

        var claimed = await _ownership.ClaimAsync(new JobClaimRequest
        {
            JobIds = [jobId],
            Accept = c => string.Equals(c.Job.AgentId, agentId, StringComparison.Ordinal) && JobStateMachine.IsWithAgent(c.Job.Status),
            Limit = 1,
        }, CancellationToken.None).ConfigureAwait(false);
        if (claimed.Count == 1)
        {
            await AdoptClaimedAsync(claimed, CancellationToken.None).ConfigureAwait(false);
        }

        return _active.TryGetValue(jobId, out var job) ? (job, null) : (null, null);
    }

    /// <summary>Releases claimed Pending jobs that waited longer than <paramref name="after"/> with no agent of this server to take them.</summary>
    public async Task ReleaseUnservedAsync(TimeSpan after, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        foreach (var job in _active.Values)
        {
            var record = job.Record;
            if (record.Status != JobStatus.Pending || job.Input is not null || now - job.ReadySince < after || (record.NotBefore is { } due && due > now))
            {
                continue;
            }

            await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                record = job.Record;
                if (record.Status != JobStatus.Pending || job.Watchers.Count > 0 || AnyAgentWouldRun(record.Command, record.Target))
                {
                    continue;
                }

                if (await _ownership.ReleaseAsync(record, cancellationToken).ConfigureAwait(false))
                {
                    Forget(job);
                    Log.Released(_logger, record.Id);
                }
            }
            finally
            {
                job.Gate.Release();
            }
        }
    }

    /// <summary>
    /// Hands over the running jobs whose agent is now connected to another server (it moved, or came back elsewhere
    /// after this server took its jobs as orphans): each is released, and the agent's server claims it, so the job
    /// follows its agent and the agent's reports are taken where they arrive.
    /// </summary>
    public async Task HandOverMovedAsync(Func<string, bool> connectedElsewhere, CancellationToken cancellationToken)
    {
        foreach (var job in _active.Values)
        {
            var record = job.Record;
            if (!JobStateMachine.IsWithAgent(record.Status) || record.AgentId is not { } agentId
                || _registry.Find(agentId)?.ConnectionId is not null || !connectedElsewhere(agentId))
            {
                continue;
            }

            await job.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (job.Record.Status == record.Status && job.Record.Version == record.Version
                    && await _ownership.ReleaseAsync(job.Record, cancellationToken).ConfigureAwait(false))
                {
                    Forget(job);
                    Log.HandedOver(_logger, record.Id, agentId);
                }
            }
            finally
            {
                job.Gate.Release();
            }
        }
    }

    /// <summary>This server's lease lapsed (it was cut off from the store): other servers may hold its jobs now, so it forgets them all.</summary>
    public void ForgetAll()
    {
        foreach (var job in _active.Values)
        {
            Forget(job);
        }
    }

    private void Forget(ActiveJob job)
    {
        if (!_active.TryRemove(new KeyValuePair<string, ActiveJob>(job.Id, job)))
        {
            return;
        }

        if (job.HoldsAdmission)
        {
            job.HoldsAdmission = false;
            _admission.Release();
        }

        if (JobStateMachine.IsWithAgent(job.Record.Status) && job.Record.AgentId is { } agentId)
        {
            _slots.Release(agentId);
        }

        // Watchers here follow the job in the store from now on.
        foreach (var watcher in job.Watchers)
        {
            _ = FollowStoredAsync(job.Id, watcher, job.EventSequence);
        }

        job.Watchers.Clear();
    }

    /// <summary>Cancels a job only when this server holds it (another server asked).</summary>
    public Task<bool> CancelHeldAsync(string jobId, string reason, CancellationToken cancellationToken) =>
        _active.ContainsKey(jobId) ? CancelAsync(jobId, reason, cancellationToken) : Task.FromResult(false);

    /// <summary>Free job slots on this server's connected agents (what the intake may claim Pending work for).</summary>
    public int FreeLocalSlots() => FreeSlots() - Queue.QueuedCount;

    /// <summary>Cancels a job this server does not hold: an unowned or orphaned one is claimed and cancelled here, else its owner is asked.</summary>
    private async Task<bool> CancelElsewhereAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        if (await _store.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is not { IsFinal: false })
        {
            return false;
        }

        if (!await _ownership.OwnedElsewhereAsync(jobId, cancellationToken).ConfigureAwait(false))
        {
            var claimed = await _ownership.ClaimAsync(new JobClaimRequest { JobIds = [jobId], Accept = _ => true, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            await AdoptClaimedAsync(claimed, cancellationToken).ConfigureAwait(false);
            if (_active.ContainsKey(jobId))
            {
                return await CancelAsync(jobId, reason, cancellationToken).ConfigureAwait(false);
            }
        }

        await _ownership.SignalAsync(new JobSignal(JobSignal.Cancel, jobId, reason)).ConfigureAwait(false);
        return true;
    }

    /// <summary>Feeds a watcher the job's stored events after <paramref name="afterSequence"/> until its final one (the job is held by another server).</summary>
    private async Task FollowStoredAsync(string jobId, JobWatcher watcher, long afterSequence)
    {
        var last = afterSequence;
        try
        {
            while (!watcher.Closed)
            {
                foreach (var stored in await _store.GetEventsAsync(jobId, last, CancellationToken.None).ConfigureAwait(false))
                {
                    last = stored.Sequence;
                    if (!await watcher.WriteAsync(stored, WatcherWriteTimeout, _time).ConfigureAwait(false))
                    {
                        watcher.Complete();
                        return;
                    }

                    if (stored.IsFinal)
                    {
                        watcher.Complete();
                        return;
                    }
                }

                await Task.Delay(StoredFollowInterval, _time).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is StorageUnavailableException or InvalidOperationException)
        {
            watcher.Complete(new MeshInvocationException(new JobError(MeshErrorCodes.Internal, "The job's events could not be read: " + ex.Message)));
        }
    }
}
