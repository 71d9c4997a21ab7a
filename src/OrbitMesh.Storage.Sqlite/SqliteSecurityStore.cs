using System.Text;
using Microsoft.Data.Sqlite;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>Security records in SQLite's <c>security</c> table and the audit trail in <c>audit</c>.</summary>
public sealed class SqliteSecurityStore(SqliteDatabase database) : ISecurityStore
{
    /// <inheritdoc />
    public async ValueTask<SecurityDocument?> GetAsync(string kind, string id, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT version, data FROM security WHERE kind = $kind AND id = $id;";
            command.Parameters.AddWithValue("$kind", kind);
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? new SecurityDocument { Kind = kind, Id = id, Version = reader.GetInt64(0), Data = reader.GetString(1) } : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<SecurityDocument>> ListAsync(string kind, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT id, version, data FROM security WHERE kind = $kind ORDER BY id;";
            command.Parameters.AddWithValue("$kind", kind);
            using var reader = command.ExecuteReader();
            var documents = new List<SecurityDocument>();
            while (reader.Read())
            {
                documents.Add(new SecurityDocument { Kind = kind, Id = reader.GetString(0), Version = reader.GetInt64(1), Data = reader.GetString(2) });
            }

            return (IReadOnlyList<SecurityDocument>)documents;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> TrySaveAsync(SecurityDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        return await database.WriteAsync((_, transaction) =>
        {
            // Insert when new; otherwise replace only at the version the caller read.
            var save = document.Version == 1
                ? database.Prepared(transaction, "INSERT INTO security (kind, id, version, data) VALUES ($kind, $id, 1, $data) ON CONFLICT (kind, id) DO NOTHING;")
                : database.Prepared(transaction, "UPDATE security SET version = $version, data = $data WHERE kind = $kind AND id = $id AND version = $version - 1;");
            save.Parameters.AddWithValue("$kind", document.Kind);
            save.Parameters.AddWithValue("$id", document.Id);
            save.Parameters.AddWithValue("$data", document.Data);
            if (document.Version != 1)
            {
                save.Parameters.AddWithValue("$version", document.Version);
            }

            return save.ExecuteNonQuery() == 1;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string kind, string id, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((_, transaction) =>
        {
            var delete = database.Prepared(transaction, "DELETE FROM security WHERE kind = $kind AND id = $id;");
            delete.Parameters.AddWithValue("$kind", kind);
            delete.Parameters.AddWithValue("$id", id);
            return delete.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return await database.WriteAsync((_, transaction) =>
        {
            var insert = database.Prepared(transaction, """
                INSERT INTO audit (timestamp, type, actor, subject, success, reason, remote_address)
                VALUES ($at, $type, $actor, $subject, $success, $reason, $remote) RETURNING sequence;
                """);
            insert.Parameters.AddWithValue("$at", entry.Timestamp.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$type", entry.Type);
            insert.Parameters.AddWithValue("$actor", (object?)entry.Actor ?? DBNull.Value);
            insert.Parameters.AddWithValue("$subject", (object?)entry.Subject ?? DBNull.Value);
            insert.Parameters.AddWithValue("$success", entry.Success ? 1 : 0);
            insert.Parameters.AddWithValue("$reason", (object?)entry.Reason ?? DBNull.Value);
            insert.Parameters.AddWithValue("$remote", (object?)entry.RemoteAddress ?? DBNull.Value);
            return entry with { Sequence = (long)insert.ExecuteScalar()! };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            var sql = new StringBuilder("SELECT sequence, timestamp, type, actor, subject, success, reason, remote_address FROM audit WHERE 1 = 1");
            if (query.Type is { } type)
            {
                if (type.EndsWith(".*", StringComparison.Ordinal))
                {
                    sql.Append(" AND substr(type, 1, length($prefix)) = $prefix");
                    command.Parameters.AddWithValue("$prefix", type[..^1]);
                }
                else
                {
                    sql.Append(" AND type = $type");
                    command.Parameters.AddWithValue("$type", type);
                }
            }

            if (query.Subject is { } subject)
            {
                sql.Append(" AND subject = $subject");
                command.Parameters.AddWithValue("$subject", subject);
            }

            if (query.Since is { } since)
            {
                sql.Append(" AND timestamp >= $since");
                command.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
            }

            if (query.Before is { } before)
            {
                sql.Append(" AND sequence < $before");
                command.Parameters.AddWithValue("$before", before);
            }

            sql.Append(" ORDER BY sequence DESC LIMIT $limit;");
            command.Parameters.AddWithValue("$limit", query.EffectiveLimit());
            command.CommandText = sql.ToString();
            using var reader = command.ExecuteReader();
            var entries = new List<AuditEntry>();
            while (reader.Read())
            {
                entries.Add(new AuditEntry
                {
                    Sequence = reader.GetInt64(0),
                    Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                    Type = reader.GetString(2),
                    Actor = NullableString(reader, 3),
                    Subject = NullableString(reader, 4),
                    Success = reader.GetInt64(5) != 0,
                    Reason = NullableString(reader, 6),
                    RemoteAddress = NullableString(reader, 7),
                });
            }

            return (IReadOnlyList<AuditEntry>)entries;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
