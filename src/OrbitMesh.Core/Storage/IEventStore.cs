using System.Text.Json;

namespace OrbitMesh.Storage;

/// <summary>An event as stored: its stream, its position in the stream, when, its type name and its JSON payload.</summary>
/// <param name="StreamId">The stream (one aggregate, e.g. <c>twin:node-a</c>).</param>
/// <param name="Sequence">Its position in the stream, from 1, without gaps.</param>
/// <param name="Timestamp">When it was appended.</param>
/// <param name="Type">The event's type name.</param>
/// <param name="Payload">The event as JSON.</param>
public sealed record StoredEvent(string StreamId, long Sequence, DateTimeOffset Timestamp, string Type, JsonElement Payload);

/// <summary>An event to append: its type name and JSON payload.</summary>
/// <param name="Type">The event's type name.</param>
/// <param name="Payload">The event as JSON.</param>
public sealed record EventData(string Type, JsonElement Payload);

/// <summary>A stream's state at a version, so loading need not replay the stream from the start.</summary>
/// <param name="StreamId">The stream.</param>
/// <param name="Version">The sequence of the last event the state includes.</param>
/// <param name="State">The state as JSON.</param>
/// <param name="Timestamp">When it was taken.</param>
public sealed record Snapshot(string StreamId, long Version, JsonElement State, DateTimeOffset Timestamp);

/// <summary>
/// Append-only streams of events with optimistic concurrency, and snapshots. Used for agent twins,
/// job transitions and (later) workflow runs; the state of a stream is its latest snapshot plus the
/// events after it.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends events to a stream whose current version (its last sequence, 0 for a new stream) must be
    /// <paramref name="expectedVersion"/>; throws <see cref="EventStoreConcurrencyException"/> otherwise.
    /// Returns the stream's new version.
    /// </summary>
    ValueTask<long> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default);

    /// <summary>The stream's events with a sequence of at least <paramref name="fromSequence"/>, in order.</summary>
    ValueTask<IReadOnlyList<StoredEvent>> LoadAsync(string streamId, long fromSequence = 1, CancellationToken cancellationToken = default);

    /// <summary>The stream's current version (0 when it does not exist).</summary>
    ValueTask<long> GetVersionAsync(string streamId, CancellationToken cancellationToken = default);

    /// <summary>Stores a snapshot (replacing an older one).</summary>
    ValueTask SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default);

    /// <summary>The stream's latest snapshot, or null.</summary>
    ValueTask<Snapshot?> LoadSnapshotAsync(string streamId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the stream's events up to and including <paramref name="throughSequence"/> (they are covered by a snapshot). Returns how many were deleted.</summary>
    ValueTask<int> PruneAsync(string streamId, long throughSequence, CancellationToken cancellationToken = default);
}

/// <summary>An append found the stream at another version than expected.</summary>
public sealed class EventStoreConcurrencyException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public EventStoreConcurrencyException()
        : this("The event stream was changed by someone else.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventStoreConcurrencyException(string message)
        : base("concurrency_conflict", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EventStoreConcurrencyException(string message, Exception? innerException)
        : base("concurrency_conflict", message, innerException)
    {
    }

    /// <summary>Creates the exception for a stream and versions.</summary>
    public EventStoreConcurrencyException(string streamId, long expectedVersion, long actualVersion)
        : base("concurrency_conflict", $"Stream '{streamId}' is at version {actualVersion}, not {expectedVersion} as expected; someone else appended to it. Load it again and retry.")
    {
        StreamId = streamId;
        ExpectedVersion = expectedVersion;
        ActualVersion = actualVersion;
    }

    /// <summary>The stream.</summary>
    public string? StreamId { get; }

    /// <summary>The version the writer expected.</summary>
    public long ExpectedVersion { get; }

    /// <summary>The stream's actual version.</summary>
    public long ActualVersion { get; }
}
