using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary>
/// A server cut off from PostgreSQL, then from Redis (through TCP relays of the test's own on 127.0.0.1, which reset
/// every connection and refuse new ones): it stops claiming work, says so in <c>/health/ready</c>, the other server
/// goes on, and once the connection returns it is ready again and claims the work that waited for it.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = ScaleOutDatabase.NewSchema("pt_");
    private readonly string _prefix = "pt-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ScaleOutDatabase.DropSchemaAsync(_schema);

    [Fact]
    public async Task AServerCutOffFromPostgresThenRedis_StopsClaimingAndIsNotReady_ThenRecovers()
    {
        var database = new NpgsqlConnectionStringBuilder(TestServers.Postgres);
        await using var postgresRelay = new TcpProxy(new Uri($"tcp://127.0.0.1:{database.Port}"));
        await using var redisRelay = new TcpProxy(new Uri($"tcp://{TestServers.Redis}"));
        // No pooling on the cut-off server: every call opens a connection through the relay, as after a real outage.
        var relayed = new NpgsqlConnectionStringBuilder(TestServers.Postgres) { Host = "127.0.0.1", Port = postgresRelay.Url.Port, Timeout = 3 };

        await using var mesh = new MeshProcesses(output);
        var a = await mesh.StartServerAsync(extraArguments: ScaleOutDatabase.ClusterArguments(_schema, _prefix, "srv-a", mesh.DataDirectory));
        var p = await mesh.StartServerAsync(extraArguments: ScaleOutDatabase.ClusterArguments(_schema, _prefix, "srv-p", ScaleOutDatabase.NewDataDirectory(),
            postgres: relayed.ConnectionString, redis: $"127.0.0.1:{redisRelay.Url.Port}"));
        await mesh.StartAgentAsync(a.Url, "on-a");
        await mesh.StartAgentAsync(p.Url, "on-p");
        using var apiA = ScaleOutDatabase.Api(a, TimeSpan.FromSeconds(10));
        using var apiP = ScaleOutDatabase.Api(p, TimeSpan.FromSeconds(10));
        await WaitReadyAsync(apiP, ready: true, "srv-p to be ready");
        var warm = await ScaleOutDatabase.SubmitAsync(apiA, """{"command":"echo","target":{"agentId":"on-p"}}""");
        Assert.Equal("Completed", (await ScaleOutDatabase.WaitFinalAsync(apiA, warm)).GetProperty("status").GetString());

        // 1. PostgreSQL cut off from srv-p.
        postgresRelay.Blocked = true;
        output.WriteLine($"[test] cut srv-p from PostgreSQL ({postgresRelay.CutAll()} connections reset)");
        var notReady = await WaitReadyAsync(apiP, ready: false, "srv-p to say it is not ready without PostgreSQL");
        output.WriteLine($"[test] srv-p /health/ready: {notReady}");
        var waiting = await ScaleOutDatabase.SubmitAsync(apiA, """{"command":"echo","parameters":{"phase":"pg"},"target":{"agentId":"on-p"}}""");
        var meanwhile = await ScaleOutDatabase.SubmitAsync(apiA, """{"command":"echo","target":{"agentId":"on-a"}}""");
        Assert.Equal("Completed", (await ScaleOutDatabase.WaitFinalAsync(apiA, meanwhile)).GetProperty("status").GetString());
        Assert.Equal("Pending", await StatusAsync(apiA, waiting));
        Assert.Equal("", await ScaleOutDatabase.ScalarTextAsync($"SELECT coalesce(owner, '') FROM \"{_schema}\".jobs WHERE id = '{waiting}'"));

        postgresRelay.Blocked = false;
        output.WriteLine("[test] PostgreSQL is back for srv-p");
        await WaitReadyAsync(apiP, ready: true, "srv-p to be ready again with PostgreSQL");
        var done = await ScaleOutDatabase.WaitFinalAsync(apiA, waiting);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.Equal("on-p", done.GetProperty("agentId").GetString());
        Assert.Equal("srv-p", await ScaleOutDatabase.ScalarTextAsync($"SELECT owner FROM \"{_schema}\".jobs WHERE id = '{waiting}'"));

        // 2. Redis cut off from srv-p.
        redisRelay.Blocked = true;
        output.WriteLine($"[test] cut srv-p from Redis ({redisRelay.CutAll()} connections reset)");
        notReady = await WaitReadyAsync(apiP, ready: false, "srv-p to say it is not ready without Redis");
        output.WriteLine($"[test] srv-p /health/ready: {notReady}");
        await p.Process.WaitForStderrAsync(l => l.Contains("claims no new jobs", StringComparison.Ordinal), "srv-p to stop claiming");
        waiting = await ScaleOutDatabase.SubmitAsync(apiA, """{"command":"echo","parameters":{"phase":"redis"},"target":{"agentId":"on-p"}}""");
        meanwhile = await ScaleOutDatabase.SubmitAsync(apiA, """{"command":"echo","target":{"agentId":"on-a"}}""");
        Assert.Equal("Completed", (await ScaleOutDatabase.WaitFinalAsync(apiA, meanwhile)).GetProperty("status").GetString());
        Assert.Equal("Pending", await StatusAsync(apiA, waiting));
        Assert.Equal("", await ScaleOutDatabase.ScalarTextAsync($"SELECT coalesce(owner, '') FROM \"{_schema}\".jobs WHERE id = '{waiting}'"));

        redisRelay.Blocked = false;
        output.WriteLine("[test] Redis is back for srv-p");
        await WaitReadyAsync(apiP, ready: true, "srv-p to be ready again with Redis");
        done = await ScaleOutDatabase.WaitFinalAsync(apiA, waiting);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.Equal("on-p", done.GetProperty("agentId").GetString());
    }

    private static async Task<string> StatusAsync(HttpClient api, string jobId) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}")).GetProperty("status").GetString()!;

    /// <summary>Waits until <c>/health/ready</c> answers 200 (<paramref name="ready"/>) or 503; returns the body.</summary>
    private static async Task<string> WaitReadyAsync(HttpClient api, bool ready, string because)
    {
        var body = "";
        await Wait.UntilAsync(async () =>
        {
            try
            {
                using var response = await api.GetAsync("/health/ready");
                body = await response.Content.ReadAsStringAsync();
                return (response.StatusCode == HttpStatusCode.OK) == ready;
            }
            catch (TaskCanceledException)
            {
                return false;
            }
        }, because, TimeSpan.FromSeconds(60));
        return body;
    }
}
