using System.Text;
using System.Text.Json;
using Npgsql;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// Jobs in PostgreSQL: the current record of each job in <c>jobs</c>, every transition's events in <c>job_events</c>,
/// idempotency keys in <c>idempotency</c>, written together in one transaction. Creates under one idempotency key are
/// serialized across servers by a transaction-level advisory lock on the key.
/// </summary>
public sealed class PostgresJobStore(PostgresDatabase database, TimeProvider time) : IJobStore
{
    private const int RetentionChunk = 500;

    /// <inheritdoc />
    public async ValueTask<JobRecord> CreateAsync(JobRecord job, JobEvent created, TimeSpan idempotencyTtl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var record = JsonSerializer.Serialize(job, OrbitMeshJson.Options);
        var events = SerializeEvents([created]);
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            var now = time.GetUtcNow();
            if (job.IdempotencyKey is { } key)
            {
                using (var lockKey = PostgresDatabase.Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", "idempotency:" + key))
                {
                    await lockKey.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                using var select = PostgresDatabase.Command(connection, transaction,
                    "SELECT j.record FROM idempotency i JOIN jobs j ON j.id = i.job_id WHERE i.key = $1 AND i.created_at > $2", key, now - idempotencyTtl);
                if (await select.ExecuteScalarAsync(ct).ConfigureAwait(false) is string existing)
                {
                    return JsonSerializer.Deserialize<JobRecord>(existing, OrbitMeshJson.Options)!;
                }
            }

            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(Insert(job, record));
                AddEvents(batch, job.Id, events);
                if (job.IdempotencyKey is { } newKey)
                {
                    batch.BatchCommands.Add(PostgresDatabase.BatchCommand(
                        "INSERT INTO idempotency (key, job_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, created_at = excluded.created_at",
                        newKey, job.Id, now));
                }

                try
                {
                    await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.TableName == "jobs")
                {
                    throw new JobConcurrencyException(job.Id, 0, 1);
                }
            }

            return job;
        }, cancellationToken).ConfigureAwait(false);
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
        await database.WriteAsync<object?>(async (connection, transaction, ct) =>
        {
            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                AddEvents(batch, jobId, payloads);
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(JobRecord job, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(events);
        var record = JsonSerializer.Serialize(job, OrbitMeshJson.Options);
        var payloads = SerializeEvents(events);
        await database.WriteAsync<object?>(async (connection, transaction, ct) =>
        {
            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(PostgresDatabase.BatchCommand(
                    "UPDATE jobs SET version = $1, status = $2, final = $3, agent_id = $4, fencing_token = $5, completed_at = $6, record = $7 WHERE id = $8 AND version = $9",
                    job.Version, (int)job.Status, job.IsFinal, job.AgentId, job.FencingToken, job.CompletedAt, PostgresDatabase.Json(record), job.Id, job.Version - 1));
                AddEvents(batch, job.Id, payloads);
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                if (batch.BatchCommands[0].RecordsAffected != 1)
                {
                    using var version = PostgresDatabase.Command(connection, transaction, "SELECT version FROM jobs WHERE id = $1", job.Id);
                    var stored = await version.ExecuteScalarAsync(ct).ConfigureAwait(false) is long v ? v : 0;
                    throw new JobConcurrencyException(job.Id, job.Version - 1, stored);
                }
            }

            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT record FROM jobs WHERE id = $1", jobId);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string json ? JsonSerializer.Deserialize<JobRecord>(json, OrbitMeshJson.Options) : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobRecord>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("SELECT record FROM jobs WHERE true");
        var parameters = new List<object?>();
        void Filter(string column, object? value)
        {
            if (value is not null)
            {
                parameters.Add(value);
                sql.Append(" AND ").Append(column).Append(" = $").Append(parameters.Count);
            }
        }

        Filter("status", query.Status is { } status ? (int)status : null);
        Filter("command", query.Command);
        Filter("agent_id", query.AgentId);
        Filter("correlation_id", query.CorrelationId);
        parameters.Add(Math.Clamp(query.Limit, 1, 1000));
        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT $").Append(parameters.Count);
        return await ReadRecordsAsync(sql.ToString(), [.. parameters], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken = default) =>
        await ReadRecordsAsync("SELECT record FROM jobs WHERE NOT final ORDER BY created_at", [], cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT payload FROM job_events WHERE job_id = $1 AND sequence > $2 ORDER BY sequence", jobId, afterSequence);
            var events = new List<JobEvent>();
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                events.Add(JsonSerializer.Deserialize<JobEvent>(reader.GetString(0), OrbitMeshJson.Options)!);
            }

            return (IReadOnlyList<JobEvent>)events;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<long> GetMaxFencingTokenAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT coalesce(max(fencing_token), 0) FROM jobs");
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<RetentionResult> ApplyRetentionAsync(DateTimeOffset eventsBefore, DateTimeOffset jobsBefore, DateTimeOffset keysBefore, CancellationToken cancellationToken = default)
    {
        int events = 0, jobs = 0;

        // Chunks keep each transaction short; SKIP LOCKED lets two servers' retention passes share the work.
        while (true)
        {
            var (deletedJobs, deletedEvents) = await database.WriteAsync(async (connection, transaction, ct) =>
            {
                var ids = await ReadIdsAsync(connection, transaction,
                    $"SELECT id FROM jobs WHERE final AND completed_at < $1 LIMIT {RetentionChunk} FOR UPDATE SKIP LOCKED", ct, jobsBefore).ConfigureAwait(false);
                if (ids.Length == 0)
                {
                    return (0, 0);
                }

                var removedEvents = await ExecuteAsync(connection, transaction, "DELETE FROM job_events WHERE job_id = ANY($1)", ct, (object)ids).ConfigureAwait(false);
                var removedJobs = await ExecuteAsync(connection, transaction, "DELETE FROM jobs WHERE id = ANY($1)", ct, (object)ids).ConfigureAwait(false);
                return (removedJobs, removedEvents);
            }, cancellationToken).ConfigureAwait(false);
            jobs += deletedJobs;
            events += deletedEvents;
            if (deletedJobs < RetentionChunk)
            {
                break;
            }
        }

        var after = string.Empty;
        while (true)
        {
            var (scanned, deletedEvents, last) = await database.WriteAsync(async (connection, transaction, ct) =>
            {
                var ids = await ReadIdsAsync(connection, transaction,
                    $"SELECT id FROM jobs WHERE final AND completed_at < $1 AND id > $2 ORDER BY id LIMIT {RetentionChunk}", ct, eventsBefore, after).ConfigureAwait(false);
                var removed = ids.Length == 0 ? 0 : await ExecuteAsync(connection, transaction, "DELETE FROM job_events WHERE job_id = ANY($1)", ct, (object)ids).ConfigureAwait(false);
                return (ids.Length, removed, ids.Length == 0 ? after : ids[^1]);
            }, cancellationToken).ConfigureAwait(false);
            events += deletedEvents;
            after = last;
            if (scanned < RetentionChunk)
            {
                break;
            }
        }

        var keys = await database.WriteAsync((connection, transaction, ct) =>
            ExecuteAsync(connection, transaction, "DELETE FROM idempotency i WHERE i.created_at < $1 OR NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = i.job_id)", ct, keysBefore),
            cancellationToken).ConfigureAwait(false);
        return new RetentionResult(events, jobs, keys);
    }

    private async Task<IReadOnlyList<JobRecord>> ReadRecordsAsync(string sql, object?[] parameters, CancellationToken cancellationToken) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, sql, parameters);
            var records = new List<JobRecord>();
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(JsonSerializer.Deserialize<JobRecord>(reader.GetString(0), OrbitMeshJson.Options)!);
            }

            return (IReadOnlyList<JobRecord>)records;
        }, cancellationToken).ConfigureAwait(false);

    private static async Task<string[]> ReadIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        using var command = PostgresDatabase.Command(connection, transaction, sql, parameters);
        var ids = new List<string>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return [.. ids];
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object?[] parameters)
    {
        using var command = PostgresDatabase.Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Insert(JobRecord job, string record) => PostgresDatabase.BatchCommand(
        "INSERT INTO jobs (id, version, status, final, command, agent_id, correlation_id, fencing_token, created_at, completed_at, record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        job.Id, job.Version, (int)job.Status, job.IsFinal, job.Command, job.AgentId, job.CorrelationId, job.FencingToken, job.CreatedAt, job.CompletedAt, PostgresDatabase.Json(record));

    private static void AddEvents(NpgsqlBatch batch, string jobId, (long Sequence, string Payload)[] events)
    {
        foreach (var (sequence, payload) in events)
        {
            batch.BatchCommands.Add(PostgresDatabase.BatchCommand(
                "INSERT INTO job_events (job_id, sequence, payload) VALUES ($1, $2, $3) ON CONFLICT (job_id, sequence) DO UPDATE SET payload = excluded.payload",
                jobId, sequence, PostgresDatabase.Json(payload)));
        }
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
}
