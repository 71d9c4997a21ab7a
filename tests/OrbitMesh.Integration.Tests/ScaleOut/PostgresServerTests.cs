using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary><c>orbitmesh server --storage postgres</c>: the data lives in PostgreSQL, not in the server's data directory.</summary>
public sealed class PostgresServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "postgres-sealed-secret-0815";
    private readonly string _schema = ScaleOutDatabase.NewSchema("it_");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ScaleOutDatabase.DropSchemaAsync(_schema);

    [Fact]
    public async Task AJobWithASecret_SubmittedToAKilledServer_IsRunByAnotherServerWithItsOwnDataDirectory()
    {
        await using var mesh = new MeshProcesses(output);
        var otherData = Directory.CreateTempSubdirectory("orbitmesh-itest-pg-").FullName;
        string[] Storage(string data) => ["--storage", "postgres", "--connection-string", TestServers.Postgres, "--postgres-schema", _schema, "--data", data];

        var first = await mesh.StartServerAsync(extraArguments: Storage(mesh.DataDirectory));
        Assert.Contains(first.Process.StdoutLines, l => l.Contains($"data in PostgreSQL at", StringComparison.Ordinal) && l.Contains(_schema, StringComparison.Ordinal));
        const string Body = $$"""{"command":"echo","parameters":{"password":"{{Secret}}"},"secretParameters":["password"],"target":{"agentId":"pg-late"},"idempotencyKey":"pg-secret"}""";
        using (var http = Api(first))
        {
            using var submitted = await http.PostAsync("/api/jobs", new StringContent(Body, Encoding.UTF8, "application/json"));
            Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        }

        await first.Process.KillAsync();

        // Another server, another data directory (no keys, no database file of its own): the job, the key that sealed
        // its secret and the idempotency key all come from PostgreSQL.
        var second = await mesh.StartServerAsync(extraArguments: Storage(otherData));
        Assert.Empty(Directory.GetFiles(otherData, "*.db"));
        await mesh.StartAgentAsync(second.Url, "pg-late");
        using var api = Api(second);
        using var again = await api.PostAsync("/api/jobs", new StringContent(Body, Encoding.UTF8, "application/json"));
        var jobId = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            job = await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
            return job.GetProperty("status").GetString() is "Completed" or "Failed" or "DeadLettered";
        }, "the job to end on the second server", MeshProcesses.StartTimeout);

        Assert.Equal("Completed", job.GetProperty("status").GetString());
        // The echo handler returns what it received, and only the exact secret is redacted: the agent got the value.
        Assert.Equal("[redacted]", job.GetProperty("result").GetProperty("password").GetString());
        Assert.Equal(1L, await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs"));
        Assert.True(await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".data_protection_keys") >= 1);
        Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM \"{_schema}\".jobs WHERE record::text LIKE '%{Secret}%'"));
    }

    [Fact]
    public async Task TwoServerProcesses_OnPostgresAndRedis_ListEachOthersAgents_WithTheServerEachIsOn()
    {
        await using var mesh = new MeshProcesses(output);
        var dataB = Directory.CreateTempSubdirectory("orbitmesh-itest-pg-").FullName;
        string[] Cluster(string id, string data) =>
            ["--storage", "postgres", "--connection-string", TestServers.Postgres, "--postgres-schema", _schema, "--redis", TestServers.Redis, "--server-id", id, "--data", data];

        var a = await mesh.StartServerAsync(extraArguments: Cluster("srv-a", mesh.DataDirectory));
        var b = await mesh.StartServerAsync(extraArguments: Cluster("srv-b", dataB));
        await Wait.UntilAsync(() => b.Process.StdoutLines.Any(l => l.StartsWith("Cluster: server id srv-b", StringComparison.Ordinal)), "server B to print its cluster line");
        await mesh.StartAgentAsync(b.Url, "on-b");
        await mesh.StartAgentAsync(a.Url, "on-a");

        using var api = Api(a);
        JsonElement agents = default;
        await Wait.UntilAsync(async () =>
        {
            agents = await api.GetFromJsonAsync<JsonElement>("/api/agents");
            return agents.EnumerateArray().Count() == 2;
        }, "server A to list both agents", MeshProcesses.StartTimeout);

        var servers = agents.EnumerateArray().ToDictionary(x => x.GetProperty("id").GetString()!, x => x.GetProperty("server").GetString());
        Assert.Equal("srv-a", servers["on-a"]);
        Assert.Equal("srv-b", servers["on-b"]);
    }

    [Fact]
    public async Task WithoutAConnectionString_TheServerRefusesToStart_AndSaysWhatItNeeds()
    {
        await using var mesh = new MeshProcesses(output);
        var run = await mesh.RunAsync("server", MeshProcesses.StartTimeout, "server", "--urls", "http://127.0.0.1:0", "--data", mesh.DataDirectory, "--storage", "postgres");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--connection-string", string.Join('\n', run.StderrLines), StringComparison.Ordinal);
    }

    private static HttpClient Api(ServerProcess server) => ScaleOutDatabase.Api(server);

    private static Task<long> ScalarAsync(string sql) => ScaleOutDatabase.ScalarAsync(sql);
}
