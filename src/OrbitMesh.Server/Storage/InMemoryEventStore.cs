using OrbitMesh.Storage;

namespace OrbitMesh.Server.Storage;

/// <summary>Event streams in memory: nothing survives a restart. For tests only.</summary>
public sealed class InMemoryEventStore(TimeProvider time) : IEventStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<StoredEvent>> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Snapshot> _snapshots = new(StringComparer.Ordinal);

    /// <summary>Creates a store on the system clock.</summary>
    public InMemoryEventStore()
        : this(TimeProvider.System)
    {
    }

    /// <inheritdoc />
    public ValueTask<long> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            var version = _versions.GetValueOrDefault(streamId);
            if (version != expectedVersion)
            {
                throw new EventStoreConcurrencyException(streamId, expectedVersion, version);
            }

            var stream = _streams.TryGetValue(streamId, out var existing) ? existing : _streams[streamId] = [];
            var now = time.GetUtcNow();
            foreach (var data in events)
            {
                stream.Add(new StoredEvent(streamId, ++version, now, data.Type, data.Payload.Clone()));
            }

            _versions[streamId] = version;
            return ValueTask.FromResult(version);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredEvent>> LoadAsync(string streamId, long fromSequence = 1, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<StoredEvent> result = _streams.TryGetValue(streamId, out var stream) ? stream.Where(e => e.Sequence >= fromSequence).ToList() : [];
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetVersionAsync(string streamId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_versions.GetValueOrDefault(streamId));
        }
    }

    /// <inheritdoc />
    public ValueTask SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(snapshot.StreamId, out var existing) || existing.Version <= snapshot.Version)
            {
                _snapshots[snapshot.StreamId] = snapshot with { State = snapshot.State.Clone() };
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<Snapshot?> LoadSnapshotAsync(string streamId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_snapshots.TryGetValue(streamId, out var snapshot) ? snapshot : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> PruneAsync(string streamId, long throughSequence, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_streams.TryGetValue(streamId, out var stream) ? stream.RemoveAll(e => e.Sequence <= throughSequence) : 0);
        }
    }
}
