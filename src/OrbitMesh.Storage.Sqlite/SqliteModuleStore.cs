using Microsoft.Data.Sqlite;
using OrbitMesh.Modules;

namespace OrbitMesh.Storage.Sqlite;

/// <summary>WebAssembly modules in SQLite's <c>wasm_modules</c> table, bytes and digest together.</summary>
public sealed class SqliteModuleStore(SqliteDatabase database) : IModuleStore
{
    private const string Columns = "name, version, sha256, size, uploaded_at, uploaded_by";

    /// <inheritdoc />
    public async ValueTask<ModuleAddOutcome> AddAsync(WasmModuleInfo module, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var bytes = content.ToArray();
        return await database.WriteAsync((connection, transaction) =>
        {
            var existing = SqliteDatabase.Scalar<string?>(connection, "SELECT sha256 FROM wasm_modules WHERE name = $name AND version = $version;", transaction,
                ("$name", module.Name), ("$version", module.Version));
            if (existing is not null)
            {
                return existing == module.Sha256 ? ModuleAddOutcome.AlreadyStored : ModuleAddOutcome.Conflict;
            }

            var insert = database.Prepared(transaction,
                "INSERT INTO wasm_modules (" + Columns + ", content) VALUES ($name, $version, $sha256, $size, $uploaded_at, $uploaded_by, $content);");
            insert.Parameters.AddWithValue("$name", module.Name);
            insert.Parameters.AddWithValue("$version", module.Version);
            insert.Parameters.AddWithValue("$sha256", module.Sha256);
            insert.Parameters.AddWithValue("$size", module.Size);
            insert.Parameters.AddWithValue("$uploaded_at", module.UploadedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$uploaded_by", (object?)module.UploadedBy ?? DBNull.Value);
            insert.Parameters.AddWithValue("$content", bytes);
            insert.ExecuteNonQuery();
            return ModuleAddOutcome.Added;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<WasmModuleInfo?> GetAsync(string name, string? version, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = version is null
                ? "SELECT " + Columns + " FROM wasm_modules WHERE name = $name ORDER BY sequence DESC LIMIT 1;"
                : "SELECT " + Columns + " FROM wasm_modules WHERE name = $name AND version = $version;";
            command.Parameters.AddWithValue("$name", name);
            if (version is not null)
            {
                command.Parameters.AddWithValue("$version", version);
            }

            using var reader = command.ExecuteReader();
            return reader.Read() ? Read(reader) : null;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<byte[]?> GetContentAsync(string name, string version, CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
            SqliteDatabase.Scalar<byte[]?>(connection, "SELECT content FROM wasm_modules WHERE name = $name AND version = $version;", null, ("$name", name), ("$version", version)),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WasmModuleInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        await database.ReadAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT " + Columns + " FROM wasm_modules ORDER BY name, sequence;";
            var modules = new List<WasmModuleInfo>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                modules.Add(Read(reader));
            }

            return (IReadOnlyList<WasmModuleInfo>)modules;
        }, cancellationToken).ConfigureAwait(false);

    private static WasmModuleInfo Read(SqliteDataReader reader) => new()
    {
        Name = reader.GetString(0),
        Version = reader.GetString(1),
        Sha256 = reader.GetString(2),
        Size = reader.GetInt64(3),
        UploadedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        UploadedBy = reader.IsDBNull(5) ? null : reader.GetString(5),
    };
}
