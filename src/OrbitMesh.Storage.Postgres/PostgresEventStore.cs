using System.Text.Json;
using Npgsql;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// Event streams in PostgreSQL: versions in <c>streams</c>, events in <c>events</c>, snapshots in <c>snapshots</c>.
/// An append locks its stream's row; two servers appending to a new stream at once collide on the events' primary key,
/// and the second gets the concurrency error.
/// </summary>
public sealed class PostgresEventStore(PostgresDatabase database, TimeProvider time) : IEventStore
{
    /// <inheritdoc />
    public async ValueTask<long> AppendAsync(string streamId, long expectedVersion, IReadOnlyList<EventData> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        try
        {
            return await database.WriteAsync(async (connection, transaction, ct) =>
            {
                using (var select = PostgresDatabase.Command(connection, transaction, "SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE", streamId))
                {
                    var version = await select.ExecuteScalarAsync(ct).ConfigureAwait(false) is long v ? v : 0;
                    if (version != expectedVersion)
                    {
                        throw new EventStoreConcurrencyException(streamId, expectedVersion, version);
                    }
                }

                var next = expectedVersion;
                var now = time.GetUtcNow();
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    foreach (var data in events)
                    {
                        batch.BatchCommands.Add(PostgresDatabase.BatchCommand(
                            "INSERT INTO events (stream_id, sequence, type, timestamp, payload) VALUES ($1, $2, $3, $4, $5)",
                            streamId, ++next, data.Type, now, PostgresDatabase.Json(data.Payload.GetRawText())));
                    }

                    batch.BatchCommands.Add(PostgresDatabase.BatchCommand(
                        "INSERT INTO streams (stream_id, version) VALUES ($1, $2) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version", streamId, next));
                    await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                return next;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Another writer created the stream between our read and our insert.
            throw new EventStoreConcurrencyException(streamId, expectedVersion, await GetVersionAsync(streamId, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredEvent>> LoadAsync(string streamId, long fromSequence = 1, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null,
                "SELECT sequence, timestamp, type, payload FROM events WHERE stream_id = $1 AND sequence >= $2 ORDER BY sequence", streamId, fromSequence);
            var events = new List<StoredEvent>();
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                events.Add(new StoredEvent(streamId, reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2), Parse(reader.GetString(3))));
            }

            return (IReadOnlyList<StoredEvent>)events;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<long> GetVersionAsync(string streamId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT version FROM streams WHERE stream_id = $1", streamId);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long version ? version : 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask SaveSnapshotAsync(Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var upsert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO snapshots (stream_id, version, timestamp, state) VALUES ($1, $2, $3, $4) " +
                "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, timestamp = excluded.timestamp, state = excluded.state WHERE excluded.version >= snapshots.version",
                snapshot.StreamId, snapshot.Version, snapshot.Timestamp, PostgresDatabase.Json(snapshot.State.GetRawText()));
            return await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<Snapshot?> LoadSnapshotAsync(string streamId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT version, timestamp, state FROM snapshots WHERE stream_id = $1", streamId);
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new Snapshot(streamId, reader.GetInt64(0), Parse(reader.GetString(2)), reader.GetFieldValue<DateTimeOffset>(1))
                : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<int> PruneAsync(string streamId, long throughSequence, CancellationToken cancellationToken = default) =>
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var delete = PostgresDatabase.Command(connection, transaction, "DELETE FROM events WHERE stream_id = $1 AND sequence <= $2", streamId, throughSequence);
            return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
