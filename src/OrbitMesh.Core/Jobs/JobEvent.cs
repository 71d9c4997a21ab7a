using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>What a <see cref="JobEvent"/> reports.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobEventType>))]
public enum JobEventType
{
    /// <summary>The job's status changed.</summary>
    Status,

    /// <summary>The agent reported progress.</summary>
    Progress,

    /// <summary>A streamed item.</summary>
    Item,
}

/// <summary>
/// One thing that happened to a job, in order (<see cref="Sequence"/>): a status change, progress, or a
/// streamed item. What <c>GET /api/jobs/{id}/events</c> streams.
/// </summary>
public sealed record JobEvent
{
    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>Orders the job's events, from 1.</summary>
    public long Sequence { get; init; }

    /// <summary>The kind of event.</summary>
    public JobEventType Type { get; init; }

    /// <summary>The job's status after the event.</summary>
    public JobStatus Status { get; init; }

    /// <summary>The agent involved, when one is.</summary>
    public string? AgentId { get; init; }

    /// <summary>The attempt the event belongs to.</summary>
    public int Attempt { get; init; }

    /// <summary>Progress percentage, for progress events.</summary>
    public double? Percent { get; init; }

    /// <summary>A message: the progress message, or why the status changed.</summary>
    public string? Message { get; init; }

    /// <summary>The streamed item, for item events.</summary>
    public JsonElement? Item { get; init; }

    /// <summary>The result, on completion.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The error, on failure.</summary>
    public JobError? Error { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>True when this event ends the job's stream of events.</summary>
    [JsonIgnore]
    public bool IsFinal => Type == JobEventType.Status && JobStateMachine.IsTerminal(Status);
}
