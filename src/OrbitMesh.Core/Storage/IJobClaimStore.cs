namespace OrbitMesh.Storage;

/// <summary>
/// Which server owns each unfinished job, for several servers sharing one store. A server owns jobs only while
/// its lease lasts; a job with no owner, or whose owner's lease lapsed, can be claimed by another server. Claims
/// and lease times use the store's clock, so the servers' clocks need not agree. A store shared by one server only
/// needs no implementation of this.
/// </summary>
public interface IJobClaimStore
{
    /// <summary>
    /// Renews (or starts) <paramref name="serverId"/>'s lease for <paramref name="lease"/> from now. Returns false when
    /// the server had a lease that had already lapsed: its jobs may have been claimed by others since.
    /// </summary>
    ValueTask<bool> RenewLeaseAsync(string serverId, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Ends <paramref name="serverId"/>'s lease now and clears it as the owner of its jobs (a clean stop).</summary>
    ValueTask EndLeaseAsync(string serverId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims, for <paramref name="serverId"/>, unfinished jobs that have no owner or whose owner's lease lapsed (and,
    /// with <see cref="JobClaimRequest.IncludeOwn"/>, those it owns already), oldest first, that
    /// <see cref="JobClaimRequest.Accept"/> accepts, at most <see cref="JobClaimRequest.Limit"/>. Candidates locked by
    /// another claim are skipped. Each claimed job is stored at its next version with the new owner, and returned so.
    /// </summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(string serverId, JobClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives up <paramref name="serverId"/>'s ownership of a job it holds at <paramref name="version"/> (the job is
    /// stored at the next version with no owner). False when the job is no longer at that version or not its own.
    /// </summary>
    ValueTask<bool> ReleaseAsync(string serverId, string jobId, long version, CancellationToken cancellationToken = default);

    /// <summary>The owner of an unfinished job (none for a finished one) and whether its lease lasts, or null when the job is unknown.</summary>
    ValueTask<JobOwner?> GetOwnerAsync(string jobId, CancellationToken cancellationToken = default);
}

/// <summary>What to claim.</summary>
public sealed class JobClaimRequest
{
    /// <summary>Only these jobs (null: any claimable job).</summary>
    public IReadOnlyCollection<string>? JobIds { get; init; }

    /// <summary>Also jobs the claiming server already owns (after its own restart).</summary>
    public bool IncludeOwn { get; init; }

    /// <summary>Whether to take a candidate; called inside the claim, so keep it quick and free of I/O.</summary>
    public required Func<JobClaimCandidate, bool> Accept { get; init; }

    /// <summary>Most jobs to claim.</summary>
    public int Limit { get; init; } = 64;

    /// <summary>Most candidates to look at.</summary>
    public int ScanLimit { get; init; } = 256;
}

/// <summary>A claimable job as the store has it.</summary>
/// <param name="Job">The job's current record.</param>
/// <param name="Owner">Its owner, or null.</param>
/// <param name="OwnerLapsedFor">How long ago its owner's lease lapsed (zero when it has no owner).</param>
public sealed record JobClaimCandidate(JobRecord Job, string? Owner, TimeSpan OwnerLapsedFor);

/// <summary>A job's owner.</summary>
/// <param name="ServerId">The owning server, or null when nobody owns the job.</param>
/// <param name="Alive">True while the owner's lease lasts.</param>
public sealed record JobOwner(string? ServerId, bool Alive);
