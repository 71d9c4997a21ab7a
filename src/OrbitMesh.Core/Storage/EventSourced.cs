using System.Text.Json;

namespace OrbitMesh.Storage;

/// <summary>
/// How a kind of aggregate is rebuilt from its events: its initial state, how each event changes it,
/// and which event types exist (by stored type name).
/// </summary>
/// <typeparam name="TState">The aggregate's state: an immutable value that serializes to JSON (for snapshots).</typeparam>
public interface IEventSourcedModel<TState>
{
    /// <summary>The state of an empty stream.</summary>
    TState Initial { get; }

    /// <summary>The state after one more event.</summary>
    TState Apply(TState state, DomainEvent domainEvent);

    /// <summary>The event types, so stored events can be read back.</summary>
    IReadOnlyCollection<Type> EventTypes { get; }
}

/// <summary>
/// Typed event sourcing over an <see cref="IEventStore"/>: load = latest snapshot plus the events after it;
/// append with optimistic concurrency; a snapshot every <see cref="SnapshotEvery"/> events.
/// </summary>
public sealed class EventSourcedStore<TState>
{
    private readonly IEventStore _store;
    private readonly IEventSourcedModel<TState> _model;
    private readonly JsonSerializerOptions _json;
    private readonly Dictionary<string, Type> _types;
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="store">Where events live.</param>
    /// <param name="model">How the aggregate is rebuilt.</param>
    /// <param name="snapshotEvery">Take a snapshot every this many events (at least 1).</param>
    /// <param name="time">The clock for timestamps.</param>
    /// <param name="json">JSON settings for payloads and snapshots; OrbitMesh's when null.</param>
    public EventSourcedStore(IEventStore store, IEventSourcedModel<TState> model, int snapshotEvery, TimeProvider? time = null, JsonSerializerOptions? json = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshotEvery, 1);
        _store = store;
        _model = model;
        SnapshotEvery = snapshotEvery;
        _time = time ?? TimeProvider.System;
        _json = json ?? OrbitMeshJson.Options;
        _types = model.EventTypes.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>How often a snapshot is taken.</summary>
    public int SnapshotEvery { get; }

    /// <summary>The aggregate's state and version: the latest snapshot, then every later event applied in order.</summary>
    public async ValueTask<(TState State, long Version)> LoadAsync(string streamId, CancellationToken cancellationToken = default)
    {
        var state = _model.Initial;
        long version = 0;
        if (await _store.LoadSnapshotAsync(streamId, cancellationToken).ConfigureAwait(false) is { } snapshot)
        {
            state = snapshot.State.Deserialize<TState>(_json)!;
            version = snapshot.Version;
        }

        foreach (var stored in await _store.LoadAsync(streamId, version + 1, cancellationToken).ConfigureAwait(false))
        {
            state = _model.Apply(state, Read(stored));
            version = stored.Sequence;
        }

        return (state, version);
    }

    /// <summary>Every event of the stream from <paramref name="fromSequence"/> on, typed.</summary>
    public async ValueTask<IReadOnlyList<DomainEvent>> LoadEventsAsync(string streamId, long fromSequence = 1, CancellationToken cancellationToken = default) =>
        (await _store.LoadAsync(streamId, fromSequence, cancellationToken).ConfigureAwait(false)).Select(Read).ToList();

    /// <summary>
    /// Appends events (stamped with the time when they carry none) if the stream is at
    /// <paramref name="expectedVersion"/>; takes a snapshot when the stream crossed a multiple of
    /// <see cref="SnapshotEvery"/>. Returns the new state and version.
    /// </summary>
    public async ValueTask<(TState State, long Version)> AppendAsync(string streamId, long expectedVersion, TState current, IReadOnlyList<DomainEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var now = _time.GetUtcNow();
        var stamped = events.Select(e => e.Timestamp == default ? e with { Timestamp = now } : e).ToList();
        var data = stamped.Select(e => new EventData(e.EventType, JsonSerializer.SerializeToElement(e, e.GetType(), _json))).ToList();
        var version = await _store.AppendAsync(streamId, expectedVersion, data, cancellationToken).ConfigureAwait(false);

        var state = current;
        foreach (var domainEvent in stamped)
        {
            state = _model.Apply(state, domainEvent);
        }

        if (version / SnapshotEvery > expectedVersion / SnapshotEvery)
        {
            await _store.SaveSnapshotAsync(new Snapshot(streamId, version, JsonSerializer.SerializeToElement(state, _json), now), cancellationToken).ConfigureAwait(false);
        }

        return (state, version);
    }

    private DomainEvent Read(StoredEvent stored)
    {
        if (!_types.TryGetValue(stored.Type, out var type))
        {
            throw new OrbitMeshException("unknown_event", $"Stream '{stored.StreamId}' holds an event of type '{stored.Type}' that this build does not know.");
        }

        var domainEvent = (DomainEvent)stored.Payload.Deserialize(type, _json)!;
        return domainEvent with { StreamId = stored.StreamId, Sequence = stored.Sequence, Timestamp = stored.Timestamp };
    }
}
