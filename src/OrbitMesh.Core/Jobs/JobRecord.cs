using System.Text.Json;

namespace OrbitMesh;

/// <summary>
/// Everything the server knows about one job: the request, where it is in its lifecycle, and its outcome.
/// Immutable; every transition produces a new record with a higher <see cref="Version"/>.
/// </summary>
public sealed record JobRecord
{
    /// <summary>The job id.</summary>
    public required string Id { get; init; }

    /// <summary>The command.</summary>
    public required string Command { get; init; }

    /// <summary>The parameters as JSON.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>Which agents may take it; null for any agent with a handler.</summary>
    public AgentTarget? Target { get; init; }

    /// <summary>How it executes.</summary>
    public ExecutionPattern Pattern { get; init; }

    /// <summary>The queue priority.</summary>
    public JobPriority Priority { get; init; }

    /// <summary>The idempotency key, when one was given.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Ties the job to a larger run.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The parameters that are secrets: <see cref="Parameters"/> holds <c>"[redacted]"</c> in their place.</summary>
    public IReadOnlyList<string>? SecretParameters { get; init; }

    /// <summary>The secret parameters' values, encrypted by the server (Data Protection); never shown.</summary>
    public string? ProtectedSecrets { get; init; }

    /// <summary>W3C <c>traceparent</c> of the submission, so its dispatches and executions join the submitter's trace (also after a restart).</summary>
    public string? TraceParent { get; init; }

    /// <summary>How long one attempt may run, in milliseconds; null for no limit.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>How many failed executions are allowed before the job is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The current status.</summary>
    public JobStatus Status { get; init; }

    /// <summary>Increases with every transition; what optimistic concurrency compares.</summary>
    public long Version { get; init; }

    /// <summary>The agent holding (or that last held) the job.</summary>
    public string? AgentId { get; init; }

    /// <summary>Deliveries so far: each assignment to an agent is one attempt, numbered from 1.</summary>
    public int Attempt { get; init; }

    /// <summary>Executions that ended in failure (what <see cref="MaxAttempts"/> limits).</summary>
    public int FailedAttempts { get; init; }

    /// <summary>
    /// The fencing token of the current assignment. Agent reports carrying another token are stale and rejected.
    /// </summary>
    public long FencingToken { get; init; }

    /// <summary>When a running job's lease lapses unless the agent renews it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>When an assigned job must be acknowledged.</summary>
    public DateTimeOffset? AckDeadline { get; init; }

    /// <summary>A pending job is not dispatched before this time (retry backoff).</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>The last progress percentage (0 to 100).</summary>
    public double? ProgressPercent { get; init; }

    /// <summary>The last progress message.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>The result, when completed.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The error, when it failed, was cancelled or timed out.</summary>
    public JobError? Error { get; init; }

    /// <summary>True once cancellation was asked for.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>When the job was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it reached a final status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>How long the job took from creation to its final status; null while it runs.</summary>
    public TimeSpan? Duration => CompletedAt is { } done ? done - CreatedAt : null;

    /// <summary>True when no further transition is expected.</summary>
    public bool IsFinal => JobStateMachine.IsTerminal(Status);

    /// <summary>The outcome as a <see cref="JobResult"/>.</summary>
    public JobResult ToResult() => new()
    {
        JobId = Id,
        Status = Status,
        Result = Result,
        Error = Error,
        AgentId = AgentId,
        Attempts = Attempt,
        CompletedAt = CompletedAt,
    };

    /// <summary>A new Pending record from a request.</summary>
    public static JobRecord FromRequest(JobRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new JobRecord
        {
            Id = request.Id,
            Command = request.Command,
            Parameters = request.Parameters,
            Target = request.Target,
            Pattern = request.Pattern,
            Priority = request.Priority,
            IdempotencyKey = request.IdempotencyKey,
            CorrelationId = request.CorrelationId,
            SecretParameters = request.SecretParameters is { Count: > 0 } secrets ? [.. secrets] : null,
            TimeoutMs = request.Timeout is { } timeout ? (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds) : null,
            MaxAttempts = request.MaxAttempts,
            Status = JobStatus.Pending,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }
}
