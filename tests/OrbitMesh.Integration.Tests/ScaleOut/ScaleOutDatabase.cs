using Npgsql;
using OrbitMesh.Integration.Tests.Infrastructure;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary>What the scale-out tests share: SQL on the test PostgreSQL, a schema of their own, and a REST client for a server process.</summary>
internal static class ScaleOutDatabase
{
    /// <summary>A fresh schema name with <paramref name="prefix"/> (each test gets its own tables).</summary>
    public static string NewSchema(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    public static async Task DropSchemaAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(TestServers.Postgres);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServers.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A REST client for <paramref name="server"/> with the test API key.</summary>
    public static HttpClient Api(ServerProcess server, TimeSpan? timeout = null)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url };
        if (timeout is { } limit)
        {
            http.Timeout = limit;
        }

        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
        return http;
    }
}
