using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
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

    public static async Task<string> ScalarTextAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServers.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
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

    /// <summary>The <c>orbitmesh server</c> arguments of cluster member <paramref name="id"/>: PostgreSQL schema and Redis prefix of the test.</summary>
    public static string[] ClusterArguments(string schema, string prefix, string id, string data, string? postgres = null, string? redis = null) =>
        ["--storage", "postgres", "--connection-string", postgres ?? TestServers.Postgres, "--postgres-schema", schema, "--redis", redis ?? TestServers.Redis, "--redis-prefix", prefix, "--server-id", id, "--data", data];

    public static string NewDataDirectory() => Directory.CreateTempSubdirectory("orbitmesh-itest-cl-").FullName;

    public static async Task<string> SubmitAsync(HttpClient api, string body)
    {
        using var response = await api.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    public static async Task<JsonElement> WaitFinalAsync(HttpClient api, string jobId)
    {
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            job = await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
            return job.GetProperty("status").GetString() is "Completed" or "Failed" or "DeadLettered" or "Cancelled" or "TimedOut";
        }, $"job {jobId} to end", MeshProcesses.StartTimeout);
        return job;
    }
}
