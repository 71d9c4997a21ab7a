namespace OrbitMesh;

/// <summary>
/// The API applications use to drive the mesh, in three levels: execution (durable jobs), communication
/// (direct calls without a job record), and the workflow entry point once workflows exist. Available
/// in-process on the server through dependency injection, and remotely through <c>OrbitMesh.Client</c>.
/// </summary>
public interface IMeshClient
{
    // ---- agents ----

    /// <summary>Every agent the server knows.</summary>
    Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default);

    /// <summary>One agent, or null when unknown.</summary>
    Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default);

    // ---- execution level: durable jobs ----

    /// <summary>
    /// Submits a job and returns as soon as it is recorded (fire-and-forget and long-running jobs).
    /// A job with an idempotency key seen within its time-to-live returns the existing job instead.
    /// Throws <see cref="MeshQueueFullException"/> when the queue is full and the server fails fast.
    /// </summary>
    Task<JobRecord> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits a job and waits for its final status (request-response). Cancelling the token cancels the
    /// job. The result says how it ended; it does not throw for a failed job.
    /// </summary>
    Task<JobResult> ExecuteAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits a streaming job and enumerates the items its handler streams, then ends (or throws
    /// <see cref="MeshInvocationException"/> when the job fails). Stopping early cancels the job.
    /// </summary>
    IAsyncEnumerable<T> StreamAsync<T>(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="StreamAsync{T}(JobRequest, CancellationToken)"/>, and also streams
    /// <paramref name="input"/> to the handler as it runs.
    /// </summary>
    IAsyncEnumerable<T> StreamAsync<TInput, T>(JobRequest request, IAsyncEnumerable<TInput> input, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs the command once on every ready agent that matches the request's target (and has a handler
    /// for it) and returns one result per agent; failures are reported, not thrown. A target that
    /// matches no agent throws <see cref="MeshInvocationException"/> with code <see cref="MeshErrorCodes.NoAgent"/>.
    /// </summary>
    Task<IReadOnlyList<AgentJobResult>> ExecuteOnAllAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="ExecuteOnAllAsync"/>, in batches of <paramref name="batchPercent"/> percent of the
    /// matching agents; stops after the first batch in which any agent failed.
    /// </summary>
    Task<RollingResult> ExecuteRollingAsync(JobRequest request, int batchPercent, CancellationToken cancellationToken = default);

    /// <summary>One job, or null when unknown.</summary>
    Task<JobRecord?> GetJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Jobs matching a query, newest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Asks for a job to be cancelled. False when it is unknown or already final.</summary>
    Task<bool> CancelJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job's events from its first one until its final status: what already happened is replayed from
    /// the store (status changes, progress, streamed items), then the rest arrives as it happens, so a
    /// watcher that comes late misses nothing. A job whose events retention has compacted starts with its
    /// current status.
    /// </summary>
    IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, CancellationToken cancellationToken = default) => WatchJobAsync(jobId, 0, cancellationToken);

    /// <summary>
    /// As <see cref="WatchJobAsync(string, CancellationToken)"/>, from the event after
    /// <paramref name="afterSequence"/> (a <see cref="JobEvent.Sequence"/> already seen, as SSE's
    /// <c>Last-Event-ID</c>): to resume a watch without repeating anything.
    /// </summary>
    IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, long afterSequence, CancellationToken cancellationToken = default);

    // ---- communication level: no job record ----

    /// <summary>
    /// Runs <paramref name="command"/> on one agent and returns its result, without a job record.
    /// Throws <see cref="MeshInvocationException"/> when the agent is not connected, the handler fails,
    /// or the timeout elapses.
    /// </summary>
    Task<T?> InvokeAsync<T>(string agentId, string command, object? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="command"/> on one agent without waiting for anything but the send.</summary>
    Task SendAsync(string agentId, string command, object? parameters = null, CancellationToken cancellationToken = default);

    /// <summary>Sends opaque bytes to one agent (its raw-message handler receives them).</summary>
    Task SendRawAsync(string agentId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);
}
