using System.Text.Json;

namespace OrbitMesh.Api;

/// <summary>A job as <c>GET /api/jobs/{id}</c> shows it.</summary>
public sealed record JobView
{
    /// <summary>The job id.</summary>
    public required string Id { get; init; }

    /// <summary>The command.</summary>
    public required string Command { get; init; }

    /// <summary>The status.</summary>
    public JobStatus Status { get; init; }

    /// <summary>The agent holding (or that last held) it.</summary>
    public string? AgentId { get; init; }

    /// <summary>Deliveries so far.</summary>
    public int Attempts { get; init; }

    /// <summary>Executions that failed.</summary>
    public int FailedAttempts { get; init; }

    /// <summary>The attempt limit.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>The result, when completed.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The error, when it did not complete.</summary>
    public JobError? Error { get; init; }

    /// <summary>Last progress percentage.</summary>
    public double? Progress { get; init; }

    /// <summary>Last progress message.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>The parameters.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>The target.</summary>
    public AgentTarget? Target { get; init; }

    /// <summary>The pattern.</summary>
    public ExecutionPattern Pattern { get; init; }

    /// <summary>The priority.</summary>
    public JobPriority Priority { get; init; }

    /// <summary>The idempotency key.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The correlation id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>True once cancellation was asked for.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Reached its final status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>The view of a record.</summary>
    public static JobView From(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new JobView
        {
            Id = record.Id,
            Command = record.Command,
            Status = record.Status,
            AgentId = record.AgentId,
            Attempts = record.Attempt,
            FailedAttempts = record.FailedAttempts,
            MaxAttempts = record.MaxAttempts,
            Result = record.Result,
            Error = record.Error,
            Progress = record.ProgressPercent,
            ProgressMessage = record.ProgressMessage,
            Parameters = record.Parameters,
            Target = record.Target,
            Pattern = record.Pattern,
            Priority = record.Priority,
            IdempotencyKey = record.IdempotencyKey,
            CorrelationId = record.CorrelationId,
            CancelRequested = record.CancelRequested,
            CreatedAt = record.CreatedAt,
            UpdatedAt = record.UpdatedAt,
            CompletedAt = record.CompletedAt,
        };
    }

    /// <summary>The view as a <see cref="JobRecord"/> (for clients of the REST API).</summary>
    public JobRecord ToRecord() => new()
    {
        Id = Id,
        Command = Command,
        Status = Status,
        AgentId = AgentId,
        Attempt = Attempts,
        FailedAttempts = FailedAttempts,
        MaxAttempts = MaxAttempts,
        Result = Result,
        Error = Error,
        ProgressPercent = Progress,
        ProgressMessage = ProgressMessage,
        Parameters = Parameters,
        Target = Target,
        Pattern = Pattern,
        Priority = Priority,
        IdempotencyKey = IdempotencyKey,
        CorrelationId = CorrelationId,
        CancelRequested = CancelRequested,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        CompletedAt = CompletedAt,
    };

    /// <summary>The outcome as a <see cref="JobResult"/>.</summary>
    public JobResult ToResult() => new()
    {
        JobId = Id,
        Status = Status,
        Result = Result,
        Error = Error,
        AgentId = AgentId,
        Attempts = Attempts,
        CompletedAt = CompletedAt,
    };
}
