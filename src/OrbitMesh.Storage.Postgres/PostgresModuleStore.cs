using Npgsql;
using OrbitMesh.Modules;

namespace OrbitMesh.Storage.Postgres;

/// <summary>WebAssembly modules in PostgreSQL's <c>wasm_modules</c> table, bytes and digest together.</summary>
public sealed class PostgresModuleStore(PostgresDatabase database) : IModuleStore
{
    private const string Columns = "name, version, sha256, size, uploaded_at, uploaded_by";

    /// <inheritdoc />
    public async ValueTask<ModuleAddOutcome> AddAsync(WasmModuleInfo module, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var bytes = content.ToArray();
        return await database.WriteAsync(async (connection, transaction, ct) =>
        {
            using var insert = PostgresDatabase.Command(connection, transaction,
                "INSERT INTO wasm_modules (" + Columns + ", content) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name, version) DO NOTHING",
                module.Name, module.Version, module.Sha256, module.Size, module.UploadedAt, module.UploadedBy, bytes);
            if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
            {
                return ModuleAddOutcome.Added;
            }

            using var existing = PostgresDatabase.Command(connection, transaction, "SELECT sha256 FROM wasm_modules WHERE name = $1 AND version = $2", module.Name, module.Version);
            return await existing.ExecuteScalarAsync(ct).ConfigureAwait(false) as string == module.Sha256 ? ModuleAddOutcome.AlreadyStored : ModuleAddOutcome.Conflict;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<WasmModuleInfo?> GetAsync(string name, string? version, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = version is null
                ? PostgresDatabase.Command(connection, null, "SELECT " + Columns + " FROM wasm_modules WHERE name = $1 ORDER BY sequence DESC LIMIT 1", name)
                : PostgresDatabase.Command(connection, null, "SELECT " + Columns + " FROM wasm_modules WHERE name = $1 AND version = $2", name, version);
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetContentAsync(string name, string version, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT content FROM wasm_modules WHERE name = $1 AND version = $2", name, version);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) as byte[];
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WasmModuleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(async (connection, ct) =>
        {
            using var command = PostgresDatabase.Command(connection, null, "SELECT " + Columns + " FROM wasm_modules ORDER BY name, sequence");
            var modules = new List<WasmModuleInfo>();
            using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                modules.Add(Read(reader));
            }

            return (IReadOnlyList<WasmModuleInfo>)modules;
        }, cancellationToken).ConfigureAwait(false);

    private static WasmModuleInfo Read(NpgsqlDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Version = reader.GetString(1),
        Sha256 = reader.GetString(2),
        Size = reader.GetInt64(3),
        UploadedAt = reader.GetFieldValue<DateTimeOffset>(4),
        UploadedBy = reader.IsDBNull(5) ? null : reader.GetString(5),
    };
}
