using OrbitMesh.Storage;

namespace OrbitMesh.Server.Cluster;

/// <summary>
/// Whether this server shares the job path with others, and its handle on the claims in the shared store. On a
/// single server (or a cluster whose store has no job claims) it owns every job and nothing here is used.
/// </summary>
internal sealed class JobOwnership
{
    private readonly IJobClaimStore? _claims;
    private readonly Func<JobSignal, Task>? _publish;

    private JobOwnership(IJobClaimStore? claims, string? serverId, Func<JobSignal, Task>? publish)
    {
        _claims = claims;
        ServerId = serverId;
        _publish = publish;
    }

    /// <summary>A server alone: it owns every job.</summary>
    public static JobOwnership Single { get; } = new(null, null, null);

    /// <summary>True when the store decides which server owns each job.</summary>
    public bool Shared => _claims is not null;

    /// <summary>This server's id (null on a single server).</summary>
    public string? ServerId { get; }

    private IJobClaimStore Claims => _claims ?? throw new InvalidOperationException("This server owns every job; there is nothing to claim.");

    /// <summary>A server of a cluster, claiming in <paramref name="claims"/> and signalling the others through <paramref name="publish"/>.</summary>
    public static JobOwnership Cluster(IJobClaimStore claims, string serverId, TimeSpan lease, Func<JobSignal, Task> publish) =>
        new(claims, serverId, publish) { Lease = lease };

    /// <summary>How long this server's claims last without renewal.</summary>
    public TimeSpan Lease { get; private init; }

    /// <summary>Renews this server's lease; false when it had lapsed (its jobs may be held by others now).</summary>
    public ValueTask<bool> RenewLeaseAsync(TimeSpan lease, CancellationToken cancellationToken) =>
        Claims.RenewLeaseAsync(ServerId!, lease, cancellationToken);

    /// <summary>Ends this server's lease and gives up its jobs (a clean stop).</summary>
    public ValueTask EndLeaseAsync(CancellationToken cancellationToken) => Claims.EndLeaseAsync(ServerId!, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(JobClaimRequest request, CancellationToken cancellationToken) =>
        Claims.ClaimAsync(ServerId!, request, cancellationToken);

    public ValueTask<bool> ReleaseAsync(JobRecord job, CancellationToken cancellationToken) =>
        Claims.ReleaseAsync(ServerId!, job.Id, job.Version, cancellationToken);

    public ValueTask<JobOwner?> GetOwnerAsync(string jobId, CancellationToken cancellationToken) =>
        Claims.GetOwnerAsync(jobId, cancellationToken);

    /// <summary>True when another server's lease holds the job now.</summary>
    public async ValueTask<bool> OwnedElsewhereAsync(string jobId, CancellationToken cancellationToken) =>
        await GetOwnerAsync(jobId, cancellationToken).ConfigureAwait(false) is { Alive: true, ServerId: { } owner } && owner != ServerId;

    /// <summary>Tells the other servers (best effort: a lost signal is made up by their periodic intake).</summary>
    public async Task SignalAsync(JobSignal signal)
    {
        if (_publish is null)
        {
            return;
        }

        try
        {
            await _publish(signal).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException)
        {
            // The intake's next round finds a submitted job anyway; a lost cancellation is reported by the caller's next look.
        }
    }
}

/// <summary>A message between the servers about jobs.</summary>
/// <param name="Kind"><c>submitted</c> (look for work) or <c>cancel</c> (the owner cancels the job).</param>
/// <param name="JobId">The job, for <c>cancel</c>.</param>
/// <param name="Reason">Why, for <c>cancel</c>.</param>
internal sealed record JobSignal(string Kind, string? JobId = null, string? Reason = null)
{
    public const string Submitted = "submitted";
    public const string Cancel = "cancel";
}
