using System.Text.Json;
using Npgsql;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// Server leases (<c>servers</c>) and job owners (<c>jobs.owner</c>) in PostgreSQL, on the database's clock. A claim
/// locks its candidates with <c>FOR UPDATE OF j SKIP LOCKED</c>, so two servers claiming at once take different jobs,
/// and stores each claimed job at its next version, so a stale owner's next write fails its version check.
/// </summary>
public sealed class PostgresJobClaimStore(PostgresDatabase database) : IJobClaimStore
{
    /// <summary>Seconds since a missing owner row "lapsed": an owner that has no lease row is long gone.</summary>
    private const double OwnerWithoutLease = 1e9;

    /// <inheritdoc />
    public async ValueTask<bool> RenewLeaseAsync(string serverId, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            bool held;
            using (var previous = PostgresDatabase.Command(connection, transaction, "SELECT lease_until >= now() FROM servers WHERE id = $1 FOR UPDATE", serverId))
            {
                held = await previous.ExecuteScalarAsync(ct).ConfigureAwait(false) is not false;
            }

            using var upsert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO servers (id, lease_until) VALUES ($1, now() + $2) ON CONFLICT (id) DO UPDATE SET lease_until = excluded.lease_until",
                serverId, lease);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return held;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask EndLeaseAsync(string serverId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        await database.WriteAsync<object?>(async (connection, transaction, ct) =>
        {
            using (var release = PostgresDatabase.Command(connection, transaction, "UPDATE jobs SET owner = NULL WHERE owner = $1 AND NOT final", serverId))
            {
                await release.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            using var end = PostgresDatabase.Command(connection, transaction, "DELETE FROM servers WHERE id = $1", serverId);
            await end.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(string serverId, JobClaimRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        ArgumentNullException.ThrowIfNull(request);
        if (request.JobIds is { Count: 0 } || request.Limit <= 0)
        {
            return [];
        }

        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            var candidates = new List<JobClaimCandidate>();
            using (var select = SelectCandidates(connection, transaction, serverId, request))
            {
                var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        var job = JsonSerializer.Deserialize<JobRecord>(reader.GetString(0), OrbitMeshJson.Options)!;
                        var owner = reader.IsDBNull(1) ? null : reader.GetString(1);
                        var lapsed = reader.IsDBNull(2) ? OwnerWithoutLease : reader.GetDouble(2);
                        candidates.Add(new JobClaimCandidate(job, owner, owner is null ? TimeSpan.Zero : TimeSpan.FromSeconds(lapsed)));
                    }
                }
            }

            var claimed = new List<JobRecord>();
            foreach (var candidate in candidates)
            {
                if (claimed.Count >= request.Limit)
                {
                    break;
                }

                if (request.Accept(candidate))
                {
                    claimed.Add(candidate.Job with { Version = candidate.Job.Version + 1 });
                }
            }

            if (claimed.Count > 0)
            {
                var batch = new NpgsqlBatch(connection, transaction);
                await using (batch.ConfigureAwait(false))
                {
                    foreach (var job in claimed)
                    {
                        batch.BatchCommands.Add(SetOwner(job, serverId));
                    }

                    await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    if (batch.BatchCommands.Cast<NpgsqlBatchCommand>().Any(c => c.RecordsAffected != 1))
                    {
                        // Cannot happen while the rows are locked; refuse the whole claim rather than hand out a stale record.
                        throw new JobConcurrencyException("A claimed job changed under its row lock; nothing was claimed.");
                    }
                }
            }

            return (IReadOnlyList<JobRecord>)claimed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReleaseAsync(string serverId, string jobId, long version, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverId);
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            JobRecord job;
            using (var select = PostgresDatabase.Command(connection, transaction,
                "SELECT record FROM jobs WHERE id = $1 AND owner = $2 AND version = $3 AND NOT final FOR UPDATE", jobId, serverId, version))
            {
                if (await select.ExecuteScalarAsync(ct).ConfigureAwait(false) is not string json)
                {
                    return false;
                }

                job = JsonSerializer.Deserialize<JobRecord>(json, OrbitMeshJson.Options)! with { Version = version + 1 };
            }

            var batch = new NpgsqlBatch(connection, transaction);
            await using (batch.ConfigureAwait(false))
            {
                batch.BatchCommands.Add(SetOwner(job, null));
                await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<JobOwner?> GetOwnerAsync(string jobId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null,
                "SELECT CASE WHEN j.final THEN NULL ELSE j.owner END, coalesce(s.lease_until >= now(), false) FROM jobs j LEFT JOIN servers s ON s.id = j.owner WHERE j.id = $1", jobId);
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    return null;
                }

                var owner = reader.IsDBNull(0) ? null : reader.GetString(0);
                return new JobOwner(owner, owner is not null && reader.GetBoolean(1));
            }
        }, cancellationToken).ConfigureAwait(false);

    private static NpgsqlCommand SelectCandidates(NpgsqlConnection connection, NpgsqlTransaction transaction, string serverId, JobClaimRequest request)
    {
        // No join with servers in the locking query: when a candidate is claimed by another transaction meanwhile, PostgreSQL
        // re-checks the WHERE clause on the row's new version, and a NULL-extended outer-join row would let a job owned by a
        // live server pass; a sub-select is evaluated again. Column 2: seconds since the owner's lease lapsed (null when
        // the owner has no lease row at all).
        var own = request.IncludeOwn ? " OR j.owner = $1" : "";
        var only = request.JobIds is null ? "" : " AND j.id = ANY($3)";
        var sql = "SELECT j.record, j.owner, (SELECT greatest(0, extract(epoch FROM now() - s.lease_until))::double precision FROM servers s WHERE s.id = j.owner)"
            + " FROM jobs j"
            + " WHERE NOT j.final AND (j.owner IS NULL OR NOT EXISTS (SELECT 1 FROM servers s WHERE s.id = j.owner AND s.lease_until >= now())" + own + ")" + only
            + " ORDER BY j.created_at LIMIT $2 FOR UPDATE OF j SKIP LOCKED";
        return request.JobIds is null
            ? PostgresDatabase.Command(connection, transaction, sql, serverId, request.ScanLimit)
            : PostgresDatabase.Command(connection, transaction, sql, serverId, request.ScanLimit, request.JobIds.ToArray());
    }

    private static NpgsqlBatchCommand SetOwner(JobRecord job, string? owner) => PostgresDatabase.BatchCommand(
        "UPDATE jobs SET owner = $1, version = $2, record = $3 WHERE id = $4 AND version = $5",
        owner, job.Version, PostgresDatabase.Json(JsonSerializer.Serialize(job, OrbitMeshJson.Options)), job.Id, job.Version - 1);
}
