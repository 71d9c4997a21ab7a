using System.Text.Json;

namespace OrbitMesh.Storage.Postgres;

/// <summary>Agent records in PostgreSQL's <c>agents</c> table.</summary>
public sealed class PostgresAgentStore(PostgresDatabase database) : IAgentStore
{
    /// <inheritdoc />
    public async ValueTask UpsertAsync(StoredAgent agent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var record = JsonSerializer.Serialize(agent, OrbitMeshJson.Options);
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var upsert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO agents (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = excluded.record", agent.Id, PostgresDatabase.Json(record));
            return await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<StoredAgent?> GetAsync(string agentId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT record FROM agents WHERE id = $1", agentId);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string json ? JsonSerializer.Deserialize<StoredAgent>(json, OrbitMeshJson.Options) : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredAgent>> ListAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT record FROM agents ORDER BY id");
            var agents = new List<StoredAgent>();
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                agents.Add(JsonSerializer.Deserialize<StoredAgent>(reader.GetString(0), OrbitMeshJson.Options)!);
            }

            return (IReadOnlyList<StoredAgent>)agents;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string agentId, CancellationToken cancellationToken = default) =>
        await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var delete = PostgresDatabase.Command(connection, transaction, "DELETE FROM agents WHERE id = $1", agentId);
            return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken).ConfigureAwait(false);
}
