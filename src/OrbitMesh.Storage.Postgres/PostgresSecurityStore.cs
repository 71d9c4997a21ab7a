using System.Text;
using Npgsql;

namespace OrbitMesh.Storage.Postgres;

/// <summary>
/// Security records in PostgreSQL's <c>security</c> table and the audit trail in <c>audit</c>. A record is replaced only
/// at the version its writer read, so a single-use token is used once across every server of the cluster.
/// </summary>
public sealed class PostgresSecurityStore(PostgresDatabase database) : ISecurityStore
{
    private const string AuditColumns = "sequence, timestamp, type, actor, subject, success, reason, remote_address";

    /// <inheritdoc />
    public async ValueTask<SecurityDocument?> GetAsync(string kind, string id, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT version, data FROM security WHERE kind = $1 AND id = $2", kind, id);
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false)
                ? new SecurityDocument { Kind = kind, Id = id, Version = reader.GetInt64(0), Data = reader.GetString(1) }
                : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SecurityDocument>> ListAsync(string kind, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT id, version, data FROM security WHERE kind = $1 ORDER BY id", kind);
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var documents = new List<SecurityDocument>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                documents.Add(new SecurityDocument { Kind = kind, Id = reader.GetString(0), Version = reader.GetInt64(1), Data = reader.GetString(2) });
            }

            return (IReadOnlyList<SecurityDocument>)documents;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> TrySaveAsync(SecurityDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            // Insert when new; otherwise replace only at the version the caller read.
            using var save = document.Version == 1
                ? PostgresDatabase.Command(connection, transaction,
                    "INSERT INTO security (kind, id, version, data) VALUES ($1, $2, 1, $3) ON CONFLICT (kind, id) DO NOTHING", document.Kind, document.Id, document.Data)
                : PostgresDatabase.Command(connection, transaction,
                    "UPDATE security SET version = $3, data = $4 WHERE kind = $1 AND id = $2 AND version = $3 - 1", document.Kind, document.Id, document.Version, document.Data);
            return await save.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string kind, string id, CancellationToken cancellationToken = default) =>
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var delete = PostgresDatabase.Command(connection, transaction, "DELETE FROM security WHERE kind = $1 AND id = $2", kind, id);
            return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var insert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO audit (timestamp, type, actor, subject, success, reason, remote_address) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING sequence",
                entry.Timestamp, entry.Type, entry.Actor, entry.Subject, entry.Success, entry.Reason, entry.RemoteAddress);
            return entry with { Sequence = (long)(await insert.ExecuteScalarAsync(ct).ConfigureAwait(false))! };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new StringBuilder("SELECT " + AuditColumns + " FROM audit WHERE true");
        var parameters = new List<object?>();
        void Where(string condition, object value)
        {
            parameters.Add(value);
            sql.Append(" AND ").Append(condition.Replace("$?", "$" + parameters.Count, StringComparison.Ordinal));
        }

        if (query.Type is { } type)
        {
            if (type.EndsWith(".*", StringComparison.Ordinal))
            {
                Where("starts_with(type, $?)", type[..^1]);
            }
            else
            {
                Where("type = $?", type);
            }
        }

        if (query.Subject is { } subject)
        {
            Where("subject = $?", subject);
        }

        if (query.Since is { } since)
        {
            Where("timestamp >= $?", since);
        }

        if (query.Before is { } before)
        {
            Where("sequence < $?", before);
        }

        parameters.Add(query.EffectiveLimit());
        sql.Append(" ORDER BY sequence DESC LIMIT $").Append(parameters.Count);
        return await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, sql.ToString(), [.. parameters]);
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var entries = new List<AuditEntry>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                entries.Add(new AuditEntry
                {
                    Sequence = reader.GetInt64(0),
                    Timestamp = reader.GetFieldValue<DateTimeOffset>(1),
                    Type = reader.GetString(2),
                    Actor = NullableString(reader, 3),
                    Subject = NullableString(reader, 4),
                    Success = reader.GetBoolean(5),
                    Reason = NullableString(reader, 6),
                    RemoteAddress = NullableString(reader, 7),
                });
            }

            return (IReadOnlyList<AuditEntry>)entries;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
