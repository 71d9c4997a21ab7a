using System.Text.Json;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>Event streams in SQLite: versions in <c>streams</c>, events in <c>events</c>, snapshots in <c>snapshots</c>.</summary>
public sealed class SqliteEventStore(SqliteDatabase database, TimeProvider time) : IEventStore
{
    /// <inheritdoc />
    public async ValueTask<long> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        return await database.WriteAsync((_, transaction) =>
        {
            var select = database.Prepared(transaction, "SELECT version FROM streams WHERE stream_id = $id;");
            select.Parameters.AddWithValue("$id", streamId);
            var version = select.ExecuteScalar() is long v ? v : 0;
            if (version != expectedVersion)
            {
                throw new EventStoreConcurrencyException(streamId, expectedVersion, version);
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var data in events)
            {
                var insert = database.Prepared(transaction, "INSERT INTO events (stream_id, sequence, type, timestamp, payload) VALUES ($id, $sequence, $type, $at, $payload);");
                insert.Parameters.AddWithValue("$id", streamId);
                insert.Parameters.AddWithValue("$sequence", ++version);
                insert.Parameters.AddWithValue("$type", data.Type);
                insert.Parameters.AddWithValue("$at", now);
                insert.Parameters.AddWithValue("$payload", data.Payload.GetRawText());
                insert.ExecuteNonQuery();
            }

            var upsert = database.Prepared(transaction, "INSERT INTO streams (stream_id, version) VALUES ($id, $version) ON CONFLICT(stream_id) DO UPDATE SET version = excluded.version;");
            upsert.Parameters.AddWithValue("$id", streamId);
            upsert.Parameters.AddWithValue("$version", version);
            upsert.ExecuteNonQuery();
            return version;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredEvent>> LoadAsync(string streamId, long fromSequence = 1, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sequence, timestamp, type, payload FROM events WHERE stream_id = $id AND sequence >= $from ORDER BY sequence;";
            command.Parameters.AddWithValue("$id", streamId);
            command.Parameters.AddWithValue("$from", fromSequence);
            var events = new List<StoredEvent>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events.Add(new StoredEvent(streamId, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2), Parse(reader.GetString(3))));
            }

            return (IReadOnlyList<StoredEvent>)events;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<long> GetVersionAsync(string streamId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection => SqliteDatabase.Scalar<long?>(connection, "SELECT version FROM streams WHERE stream_id = $id;", null, ("$id", streamId)) ?? 0, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        await database.WriteAsync<object?>((_, transaction) =>
        {
            var upsert = database.Prepared(transaction,
                "INSERT INTO snapshots (stream_id, version, timestamp, state) VALUES ($id, $version, $at, $state) ON CONFLICT(stream_id) DO UPDATE SET version = excluded.version, timestamp = excluded.timestamp, state = excluded.state WHERE excluded.version >= snapshots.version;");
            upsert.Parameters.AddWithValue("$id", snapshot.StreamId);
            upsert.Parameters.AddWithValue("$version", snapshot.Version);
            upsert.Parameters.AddWithValue("$at", snapshot.Timestamp.ToUnixTimeMilliseconds());
            upsert.Parameters.AddWithValue("$state", snapshot.State.GetRawText());
            upsert.ExecuteNonQuery();
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<Snapshot?> LoadSnapshotAsync(string streamId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT version, timestamp, state FROM snapshots WHERE stream_id = $id;";
            command.Parameters.AddWithValue("$id", streamId);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? new Snapshot(streamId, reader.GetInt64(0), Parse(reader.GetString(2)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)))
                : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<int> PruneAsync(string streamId, long throughSequence, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((_, transaction) =>
        {
            var delete = database.Prepared(transaction, "DELETE FROM events WHERE stream_id = $id AND sequence <= $through;");
            delete.Parameters.AddWithValue("$id", streamId);
            delete.Parameters.AddWithValue("$through", throughSequence);
            return delete.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
