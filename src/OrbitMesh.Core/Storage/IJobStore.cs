namespace OrbitMesh.Storage;

/// <summary>
/// Durable job state: the current record of every job and the events that changed it. The job
/// manager serializes changes to one job; the store checks versions as a safety net (and for several
/// servers sharing one store).
/// </summary>
public interface IJobStore
{
    /// <summary>
    /// Stores a new job with its creation event. When the job's idempotency key already names a job
    /// created within <paramref name="idempotencyTtl"/>, stores nothing and returns that job instead;
    /// otherwise returns <paramref name="job"/>. Atomic with respect to concurrent creates.
    /// </summary>
    ValueTask<JobRecord> CreateAsync(JobRecord job, JobEvent created, TimeSpan idempotencyTtl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a new version of a job together with the events that produced it. Throws
    /// <see cref="JobConcurrencyException"/> when the stored version is not <c>job.Version - 1</c>.
    /// </summary>
    ValueTask SaveAsync(JobRecord job, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores events that change no field of the job's record (progress reports and streamed items), so
    /// a watcher that subscribes late or reconnects can replay them. The job must exist.
    /// </summary>
    ValueTask AppendEventsAsync(string jobId, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default);

    /// <summary>One job, or null.</summary>
    ValueTask<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Jobs matching a query, newest first.</summary>
    ValueTask<IReadOnlyList<JobRecord>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every job that is not final (for recovery after a restart).</summary>
    ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken = default);

    /// <summary>A job's stored events with a sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>The largest fencing token any stored job carries (0 when none), so a restarted server never reuses one.</summary>
    ValueTask<long> GetMaxFencingTokenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Compacts finished jobs: deletes the events of jobs that finished before <paramref name="eventsBefore"/>
    /// (their record stays as the snapshot), deletes jobs that finished before <paramref name="jobsBefore"/>,
    /// and forgets idempotency keys created before <paramref name="keysBefore"/>. Never touches unfinished jobs.
    /// </summary>
    ValueTask<RetentionResult> ApplyRetentionAsync(DateTimeOffset eventsBefore, DateTimeOffset jobsBefore, DateTimeOffset keysBefore, CancellationToken cancellationToken = default);
}

/// <summary>What a retention pass removed.</summary>
/// <param name="EventsDeleted">Job events deleted.</param>
/// <param name="JobsDeleted">Finished jobs deleted.</param>
/// <param name="KeysDeleted">Expired idempotency keys forgotten.</param>
public sealed record RetentionResult(int EventsDeleted, int JobsDeleted, int KeysDeleted);

/// <summary>A job changed underneath a write (its stored version was not the expected one).</summary>
public sealed class JobConcurrencyException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public JobConcurrencyException()
        : this("The job was changed by someone else.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobConcurrencyException(string message)
        : base("concurrency_conflict", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JobConcurrencyException(string message, Exception? innerException)
        : base("concurrency_conflict", message, innerException)
    {
    }

    /// <summary>Creates the exception for a job and versions.</summary>
    public JobConcurrencyException(string jobId, long expectedVersion, long actualVersion)
        : base("concurrency_conflict", $"Job '{jobId}' is at version {actualVersion}, not {expectedVersion} as expected; it was changed by someone else.")
    {
        JobId = jobId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The job.</summary>
    public string? JobId { get; }

    /// <summary>The version the writer expected.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The version in the store.</summary>
    public long ActualVersion { get; }
}
