using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>
/// Jobs in SQLite: the current record of each job (the snapshot after its latest transition) in
/// <c>jobs</c>, every transition's events in <c>job_events</c>, idempotency keys in <c>idempotency</c>,
/// written together in the writer's transaction.
/// </summary>
public sealed class SqliteJobStore(SqliteDatabase database, TimeProvider time) : IJobStore
{
    private const int RetentionChunk = 500;

    private Task<JobRecord> CreateAsyncCore(JobRecord job, JobEvent created, TimeSpan idempotencyTtl, CancellationToken cancellationToken)
    {
        var record = JsonSerializer.Serialize(job, OrbitMeshJson.Options);
        var payloads = SerializeEvents([created]);
        return database.WriteAsync((connection, transaction) =>
        {
            var now = time.GetUtcNow();
            if (job.IdempotencyKey is { } key)
            {
                var command = database.Prepared(transaction, "SELECT job_id, created_at FROM idempotency WHERE key = $key;");
                command.Parameters.AddWithValue("$key", key);
                string? existingId = null;
                long createdAt = 0;
                using (var reader = command.ExecuteReader())
                {
                    if (reader.Read())
                    {
                        existingId = reader.GetString(0);
                        createdAt = reader.GetInt64(1);
                    }
                }

                if (existingId is not null && now - DateTimeOffset.FromUnixTimeMilliseconds(createdAt) < idempotencyTtl &&
                    ReadRecord(database.Prepared(transaction, "SELECT record FROM jobs WHERE id = $id;"), existingId) is { } existing)
                {
                    return existing;
                }
            }

            var exists = database.Prepared(transaction, "SELECT count(*) FROM jobs WHERE id = $id;");
            exists.Parameters.AddWithValue("$id", job.Id);
            if ((long)exists.ExecuteScalar()! > 0)
            {
                throw new JobConcurrencyException(job.Id, 0, 1);
            }

            InsertRecord(transaction, job, record);
            WriteEvents(transaction, job.Id, payloads);
            if (job.IdempotencyKey is { } newKey)
            {
                var upsert = database.Prepared(transaction, "INSERT INTO idempotency (key, job_id, created_at) VALUES ($key, $id, $at) ON CONFLICT(key) DO UPDATE SET job_id = excluded.job_id, created_at = excluded.created_at;");
                upsert.Parameters.AddWithValue("$key", newKey);
                upsert.Parameters.AddWithValue("$id", job.Id);
                upsert.Parameters.AddWithValue("$at", now.ToUnixTimeMilliseconds());
                upsert.ExecuteNonQuery();
            }

            return job;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<JobRecord> CreateAsync(JobRecord job, JobEvent created, TimeSpan idempotencyTtl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return await CreateAsyncCore(job, created, idempotencyTtl, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask AppendEventsAsync(string jobId, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var payloads = SerializeEvents(events);
        await database.WriteAsync<object?>((_, transaction) =>
        {
            WriteEvents(transaction, jobId, payloads);
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(JobRecord job, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(events);

        // Serialize on the caller's thread: the single writer thread only runs statements.
        var record = JsonSerializer.Serialize(job, OrbitMeshJson.Options);
        var payloads = SerializeEvents(events);
        await database.WriteAsync<object?>((_, transaction) =>
        {
            // Only the columns that change: SQLite rewrites an index when its columns are assigned, even to the same value.
            var update = database.Prepared(transaction,
                "UPDATE jobs SET version = $version, status = $status, final = $final, agent_id = $agent, fencing_token = $token, completed_at = $completed, record = $record WHERE id = $id AND version = $expected;");
            update.Parameters.AddWithValue("$id", job.Id);
            update.Parameters.AddWithValue("$expected", job.Version - 1);
            update.Parameters.AddWithValue("$version", job.Version);
            update.Parameters.AddWithValue("$status", (int)job.Status);
            update.Parameters.AddWithValue("$final", job.IsFinal ? 1 : 0);
            update.Parameters.AddWithValue("$agent", (object?)job.AgentId ?? DBNull.Value);
            update.Parameters.AddWithValue("$token", job.FencingToken);
            update.Parameters.AddWithValue("$completed", job.CompletedAt is { } done ? done.ToUnixTimeMilliseconds() : DBNull.Value);
            update.Parameters.AddWithValue("$record", record);
            if (update.ExecuteNonQuery() != 1)
            {
                var version = database.Prepared(transaction, "SELECT version FROM jobs WHERE id = $id;");
                version.Parameters.AddWithValue("$id", job.Id);
                throw new JobConcurrencyException(job.Id, job.Version - 1, version.ExecuteScalar() is long stored ? stored : 0);
            }

            WriteEvents(transaction, job.Id, payloads);
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT record FROM jobs WHERE id = $id;";
            return ReadRecord(command, jobId);
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobRecord>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            var sql = new StringBuilder("SELECT record FROM jobs WHERE 1 = 1");
            if (query.Status is { } status)
            {
                sql.Append(" AND status = $status");
                command.Parameters.AddWithValue("$status", (int)status);
            }

            if (query.Command is { } commandName)
            {
                sql.Append(" AND command = $command");
                command.Parameters.AddWithValue("$command", commandName);
            }

            if (query.AgentId is { } agentId)
            {
                sql.Append(" AND agent_id = $agent");
                command.Parameters.AddWithValue("$agent", agentId);
            }

            if (query.CorrelationId is { } correlation)
            {
                sql.Append(" AND correlation_id = $correlation");
                command.Parameters.AddWithValue("$correlation", correlation);
            }

            sql.Append(" ORDER BY created_at DESC, id DESC LIMIT $limit;");
            command.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 1000));
            command.CommandText = sql.ToString();
            return (IReadOnlyList<JobRecord>)ReadRecords(command);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT record FROM jobs WHERE final = 0 ORDER BY created_at;";
            return (IReadOnlyList<JobRecord>)ReadRecords(command);
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT payload FROM job_events WHERE job_id = $id AND sequence > $after ORDER BY sequence;";
            command.Parameters.AddWithValue("$id", jobId);
            command.Parameters.AddWithValue("$after", afterSequence);
            var events = new List<JobEvent>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                events.Add(JsonSerializer.Deserialize<JobEvent>(reader.GetString(0), OrbitMeshJson.Options)!);
            }

            return (IReadOnlyList<JobEvent>)events;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<long> GetMaxFencingTokenAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection => SqliteDatabase.Scalar<long?>(connection, "SELECT max(fencing_token) FROM jobs;") ?? 0, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<RetentionResult> ApplyRetentionAsync(DateTimeOffset eventsBefore, DateTimeOffset jobsBefore, DateTimeOffset keysBefore, CancellationToken cancellationToken = default)
    {
        int events = 0, jobs = 0, keys = 0;

        // Chunks keep each write transaction short, so dispatch writes are not held up.
        while (true)
        {
            var (deletedJobs, deletedEvents) = await database.WriteAsync((_, transaction) =>
            {
                var select = database.Prepared(transaction, $"SELECT id FROM jobs WHERE final = 1 AND completed_at < $before LIMIT {RetentionChunk};");
                select.Parameters.AddWithValue("$before", jobsBefore.ToUnixTimeMilliseconds());
                var ids = ReadIds(select);
                var removedEvents = 0;
                foreach (var id in ids)
                {
                    removedEvents += DeleteEvents(transaction, id);
                    var delete = database.Prepared(transaction, "DELETE FROM jobs WHERE id = $id;");
                    delete.Parameters.AddWithValue("$id", id);
                    delete.ExecuteNonQuery();
                }

                return (ids.Count, removedEvents);
            }, cancellationToken).ConfigureAwait(false);
            jobs += deletedJobs;
            events += deletedEvents;
            if (deletedJobs < RetentionChunk)
            {
                break;
            }
        }

        var after = 0L;
        while (true)
        {
            var (scanned, deletedEvents, last) = await database.WriteAsync((_, transaction) =>
            {
                var select = database.Prepared(transaction,
                    $"SELECT id, rowid FROM jobs WHERE final = 1 AND completed_at < $before AND rowid > $after ORDER BY rowid LIMIT {RetentionChunk};");
                select.Parameters.AddWithValue("$before", eventsBefore.ToUnixTimeMilliseconds());
                select.Parameters.AddWithValue("$after", after);
                var ids = new List<(string Id, long RowId)>();
                using (var reader = select.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        ids.Add((reader.GetString(0), reader.GetInt64(1)));
                    }
                }

                var removed = ids.Sum(i => DeleteEvents(transaction, i.Id));
                return (ids.Count, removed, ids.Count == 0 ? after : ids[^1].RowId);
            }, cancellationToken).ConfigureAwait(false);
            events += deletedEvents;
            after = last;
            if (scanned < RetentionChunk)
            {
                break;
            }
        }

        keys = await database.WriteAsync((_, transaction) =>
        {
            var delete = database.Prepared(transaction, "DELETE FROM idempotency WHERE created_at < $before OR job_id NOT IN (SELECT id FROM jobs);");
            delete.Parameters.AddWithValue("$before", keysBefore.ToUnixTimeMilliseconds());
            return delete.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);

        return new RetentionResult(events, jobs, keys);
    }

    private int DeleteEvents(SqliteTransaction transaction, string jobId)
    {
        var delete = database.Prepared(transaction, "DELETE FROM job_events WHERE job_id = $id;");
        delete.Parameters.AddWithValue("$id", jobId);
        return delete.ExecuteNonQuery();
    }

    private void InsertRecord(SqliteTransaction transaction, JobRecord job, string record)
    {
        var command = database.Prepared(transaction,
            "INSERT INTO jobs (id, version, status, final, command, agent_id, correlation_id, fencing_token, created_at, completed_at, record) VALUES ($id, $version, $status, $final, $command, $agent, $correlation, $token, $created, $completed, $record);");
        command.Parameters.AddWithValue("$id", job.Id);
        command.Parameters.AddWithValue("$version", job.Version);
        command.Parameters.AddWithValue("$status", (int)job.Status);
        command.Parameters.AddWithValue("$final", job.IsFinal ? 1 : 0);
        command.Parameters.AddWithValue("$command", job.Command);
        command.Parameters.AddWithValue("$agent", (object?)job.AgentId ?? DBNull.Value);
        command.Parameters.AddWithValue("$correlation", (object?)job.CorrelationId ?? DBNull.Value);
        command.Parameters.AddWithValue("$token", job.FencingToken);
        command.Parameters.AddWithValue("$created", job.CreatedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$completed", job.CompletedAt is { } done ? done.ToUnixTimeMilliseconds() : DBNull.Value);
        command.Parameters.AddWithValue("$record", record);
        command.ExecuteNonQuery();
    }

    private static (long Sequence, string Payload)[] SerializeEvents(IReadOnlyList<JobEvent> events)
    {
        var payloads = new (long, string)[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            payloads[i] = (events[i].Sequence, JsonSerializer.Serialize(events[i], OrbitMeshJson.Options));
        }

        return payloads;
    }

    private void WriteEvents(SqliteTransaction transaction, string jobId, (long Sequence, string Payload)[] events)
    {
        foreach (var (sequence, payload) in events)
        {
            var command = database.Prepared(transaction, "INSERT OR REPLACE INTO job_events (job_id, sequence, payload) VALUES ($id, $sequence, $payload);");
            command.Parameters.AddWithValue("$id", jobId);
            command.Parameters.AddWithValue("$sequence", sequence);
            command.Parameters.AddWithValue("$payload", payload);
            command.ExecuteNonQuery();
        }
    }

    private static JobRecord? ReadRecord(SqliteCommand command, string jobId)
    {
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$id", jobId);
        return command.ExecuteScalar() is string json ? JsonSerializer.Deserialize<JobRecord>(json, OrbitMeshJson.Options) : null;
    }

    private static List<JobRecord> ReadRecords(SqliteCommand command)
    {
        var records = new List<JobRecord>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            records.Add(JsonSerializer.Deserialize<JobRecord>(reader.GetString(0), OrbitMeshJson.Options)!);
        }

        return records;
    }

    private static List<string> ReadIds(SqliteCommand command)
    {
        var ids = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
