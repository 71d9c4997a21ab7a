using System.Text.Json;

namespace OrbitMesh;

/// <summary>
/// The outcome of a job.
/// </summary>
public sealed record JobResult
{
    /// <summary>The job's id.</summary>
    public required string JobId { get; init; }

    /// <summary>The final (or current) status.</summary>
    public JobStatus Status { get; init; }

    /// <summary>The handler's result as JSON, when it completed.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    public JobError? Error { get; init; }

    /// <summary>The agent that ran the last attempt.</summary>
    public string? AgentId { get; init; }

    /// <summary>How many attempts were made.</summary>
    public int Attempts { get; init; }

    /// <summary>When the job reached its final status.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>True when the job completed successfully.</summary>
    public bool IsSuccess => Status == JobStatus.Completed;

    /// <summary>Reads the result as <typeparamref name="T"/>.</summary>
    public T? GetResult<T>(JsonSerializerOptions? options = null) =>
        Result is { } element ? element.Deserialize<T>(options ?? OrbitMeshJson.Options) : default;
}
