using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.ScaleOut;

/// <summary>
/// Failover through one address: agents reach two cluster servers through nginx with sticky sessions. When the
/// server they are on is killed with SIGKILL, they reconnect through the balancer to the other, and the job one of
/// them was running when its server died completes once, taken over by the survivor when the dead server's lease lapses.
/// </summary>
public sealed class LoadBalancerFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = ScaleOutDatabase.NewSchema("lb_");
    private readonly string _prefix = "lb-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => ScaleOutDatabase.DropSchemaAsync(_schema);

    [Fact]
    public async Task AgentsBehindNginx_MoveToTheOtherServerWhenTheirsIsKilled_AndTheirRunningJobCompletesOnce()
    {
        await using var mesh = new MeshProcesses(output);
        var servers = new Dictionary<string, ServerProcess>
        {
            ["srv-a"] = await mesh.StartServerAsync(extraArguments: ScaleOutDatabase.ClusterArguments(_schema, _prefix, "srv-a", mesh.DataDirectory)),
            ["srv-b"] = await mesh.StartServerAsync(extraArguments: ScaleOutDatabase.ClusterArguments(_schema, _prefix, "srv-b", ScaleOutDatabase.NewDataDirectory())),
        };
        await using var nginx = await NginxBalancer.StartAsync(servers.Values.Select(s => s.Url), output);
        await mesh.StartAgentAsync(nginx.Url, "lb-1");
        await mesh.StartAgentAsync(nginx.Url, "lb-2");

        // Sticky by address: both agents (one host) are on the same server.
        var placed = await WaitPlacedAsync(servers.Values.First(), s => s is "srv-a" or "srv-b");
        var victimId = placed["lb-1"];
        Assert.Equal(victimId, placed["lb-2"]);
        var victim = servers[victimId];
        var survivor = servers.Single(s => s.Key != victimId);
        using var api = ScaleOutDatabase.Api(survivor.Value, TimeSpan.FromSeconds(10));

        var echo = await ScaleOutDatabase.SubmitAsync(api, """{"command":"echo","parameters":{"n":1}}""");
        Assert.Equal("Completed", (await ScaleOutDatabase.WaitFinalAsync(api, echo)).GetProperty("status").GetString());

        // A job running on an agent of the victim when it dies.
        var sleeping = await ScaleOutDatabase.SubmitAsync(api, """{"command":"sleep","parameters":{"ms":4000},"idempotencyKey":"lb-sleep"}""");
        await Wait.UntilAsync(async () => (await api.GetFromJsonAsync<JsonElement>($"/api/jobs/{sleeping}")).GetProperty("status").GetString() == "Running",
            "the sleep job to run", MeshProcesses.StartTimeout);
        output.WriteLine($"[test] killing {victimId} (pid {victim.Process.Pid})");
        await victim.Process.KillAsync();

        var moved = await WaitPlacedAsync(survivor.Value, s => s == survivor.Key);
        output.WriteLine($"[test] agents now on {string.Join(", ", moved.Select(m => $"{m.Key}@{m.Value}"))}");

        var after = await ScaleOutDatabase.SubmitAsync(api, """{"command":"echo","parameters":{"n":2}}""");
        var done = await ScaleOutDatabase.WaitFinalAsync(api, after);
        Assert.Equal("Completed", done.GetProperty("status").GetString());
        Assert.StartsWith("lb-", done.GetProperty("agentId").GetString(), StringComparison.Ordinal);

        var slept = await ScaleOutDatabase.WaitFinalAsync(api, sleeping);
        Assert.Equal("Completed", slept.GetProperty("status").GetString());
        Assert.Equal(1, await ScaleOutDatabase.ScalarAsync(
            $"SELECT count(*) FROM \"{_schema}\".job_events WHERE job_id = '{sleeping}' AND payload->>'status' = 'Completed'"));
        Assert.Equal(survivor.Key, await OwnerAsync(sleeping));
    }

    /// <summary>Waits until both agents are listed Ready on a server <paramref name="accept"/> takes; returns where each is.</summary>
    private static async Task<Dictionary<string, string>> WaitPlacedAsync(ServerProcess server, Func<string?, bool> accept)
    {
        using var api = ScaleOutDatabase.Api(server, TimeSpan.FromSeconds(10));
        var placed = new Dictionary<string, string>();
        await Wait.UntilAsync(async () =>
        {
            var agents = await api.GetFromJsonAsync<JsonElement>("/api/agents");
            placed = agents.EnumerateArray()
                .Where(a => a.GetProperty("status").GetString() is "Ready" or "Busy" && accept(a.GetProperty("server").GetString()))
                .ToDictionary(a => a.GetProperty("id").GetString()!, a => a.GetProperty("server").GetString()!);
            return placed.ContainsKey("lb-1") && placed.ContainsKey("lb-2");
        }, "both agents to be on an accepted server", TimeSpan.FromSeconds(45));
        return placed;
    }

    private async Task<string> OwnerAsync(string jobId) =>
        await ScaleOutDatabase.ScalarTextAsync($"SELECT owner FROM \"{_schema}\".jobs WHERE id = '{jobId}'");
}
