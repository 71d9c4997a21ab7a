using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace OrbitMesh.Storage.Postgres.Tests;

/// <summary>A schema of its own in the test server's database, dropped afterwards: tests run side by side without meeting.</summary>
public sealed class TempSchema : IAsyncDisposable
{
    private readonly List<PostgresDatabase> _opened = [];

    public string ConnectionString { get; } = TestServers.Postgres;

    public string Name { get; } = "t_" + Guid.NewGuid().ToString("N")[..12];

    public PostgresDatabase Open(Action<PostgresStorageOptions>? configure = null)
    {
        var options = new PostgresStorageOptions { ConnectionString = ConnectionString, Schema = Name, MaxPoolSize = 10 };
        configure?.Invoke(options);
        var database = new PostgresDatabase(options, NullLogger<PostgresDatabase>.Instance);
        _opened.Add(database);
        return database;
    }

    /// <summary>Runs SQL on the test database outside the provider (to tamper with the schema, as an operator or a bug might).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _opened)
        {
            await database.DisposeAsync();
        }

        await ExecuteAsync($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE");
    }
}
