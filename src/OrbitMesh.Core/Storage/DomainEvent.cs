using System.Text.Json.Serialization;

namespace OrbitMesh.Storage;

/// <summary>
/// The base of typed domain events: where the event sits (stream and sequence, set when it is stored
/// or loaded) and when it happened. Derived records carry the payload; their type name is the stored type.
/// </summary>
public abstract record DomainEvent
{
    /// <summary>The stream the event belongs to.</summary>
    [JsonIgnore]
    public string StreamId { get; init; } = string.Empty;

    /// <summary>Its position in the stream, from 1.</summary>
    [JsonIgnore]
    public long Sequence { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The event's type name, as stored.</summary>
    [JsonIgnore]
    public string EventType => GetType().Name;
}
