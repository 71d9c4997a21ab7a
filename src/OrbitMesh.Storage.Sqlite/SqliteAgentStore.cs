using System.Text.Json;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>Agent records in SQLite's <c>agents</c> table.</summary>
public sealed class SqliteAgentStore(SqliteDatabase database) : IAgentStore
{
    /// <inheritdoc />
    public async ValueTask UpsertAsync(StoredAgent agent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        await database.WriteAsync<object?>((_, transaction) =>
        {
            var upsert = database.Prepared(transaction, "INSERT INTO agents (id, record) VALUES ($id, $record) ON CONFLICT(id) DO UPDATE SET record = excluded.record;");
            upsert.Parameters.AddWithValue("$id", agent.Id);
            upsert.Parameters.AddWithValue("$record", JsonSerializer.Serialize(agent, OrbitMeshJson.Options));
            upsert.ExecuteNonQuery();
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<StoredAgent?> GetAsync(string agentId, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            var json = SqliteDatabase.Scalar<string?>(connection, "SELECT record FROM agents WHERE id = $id;", null, ("$id", agentId));
            return json is null ? null : JsonSerializer.Deserialize<StoredAgent>(json, OrbitMeshJson.Options);
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredAgent>> ListAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT record FROM agents ORDER BY id;";
            var agents = new List<StoredAgent>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                agents.Add(JsonSerializer.Deserialize<StoredAgent>(reader.GetString(0), OrbitMeshJson.Options)!);
            }

            return (IReadOnlyList<StoredAgent>)agents;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync(string agentId, CancellationToken cancellationToken = default) =>
        await database.WriteAsync((_, transaction) =>
        {
            var delete = database.Prepared(transaction, "DELETE FROM agents WHERE id = $id;");
            delete.Parameters.AddWithValue("$id", agentId);
            return delete.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
}
