using System.Diagnostics;
using System.Net.Http.Json;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Security;

namespace OrbitMesh.Bench;

internal static partial class Scenarios
{
    /// <summary>
    /// N enrolled nodes connect and register, each proving its key (challenge over REST, ECDSA signature,
    /// verification against the enrolled key); baseline: the same N agents with the shared development
    /// token, on the same server in the same run. Enrollment and approval happen before the clock starts.
    /// Each way is measured twice, alternating, and the faster of each pair is reported.
    /// </summary>
    public static async Task<Dictionary<string, double>> NodeConnectAsync(BenchSettings settings)
    {
        var n = settings.Nodes;
        var metrics = new Dictionary<string, double> { ["nodes"] = n };
        await using var server = await ServerProcess.StartAsync("sqlite");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(2) };
        var root = Path.Combine(Path.GetTempPath(), "orbitmesh-bench-nodes-" + Guid.NewGuid().ToString("N")[..8]);
        var identities = new NodeIdentity[n];
        try
        {
            var setup = Stopwatch.StartNew();
            using var created = await http.PostAsJsonAsync("/api/tokens", new BootstrapTokenRequest { Uses = n, TtlSeconds = 3600 }, OrbitMeshJson.Options);
            created.EnsureSuccessStatusCode();
            var token = (await created.Content.ReadFromJsonAsync<BootstrapTokenView>(OrbitMeshJson.Options))!.Token!;
            var enrollment = new NodeEnrollmentClient(http, server.Url);
            await ForEachAsync(Enumerable.Range(0, n), 32, async i =>
            {
                var identity = NodeIdentity.Create(Path.Combine(root, i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)), $"node-{i:D6}");
                identities[i] = identity;
                await enrollment.RequestAsync(identity, token, null, ["echo"]);
                using var approved = await http.PostAsJsonAsync($"/api/nodes/node-{i:D6}/approve", new NodeDecision(), OrbitMeshJson.Options);
                approved.EnsureSuccessStatusCode();
                await enrollment.StatusAsync(identity);
            });
            metrics["setup_enroll_and_approve_seconds"] = setup.Elapsed.TotalSeconds;

            var shared = new List<double>();
            var proven = new List<double>();
            for (var round = 0; round < 2; round++)
            {
                shared.Add(await ConnectAllAsync(server, n, i => new MeshAgentBuilder().WithToken(BenchServer.Token).WithId($"shared-{i:D6}")));
                proven.Add(await ConnectAllAsync(server, n, i => new MeshAgentBuilder().WithNodeIdentity(identities[i], http)));
            }

            metrics["node_proof_connects_per_second"] = proven.Max();
            metrics["baseline_shared_token_connects_per_second"] = shared.Max();
            metrics["ratio_to_baseline"] = proven.Max() / shared.Max();
            metrics["node_proof_connects_per_second_round1"] = proven[0];
            metrics["node_proof_connects_per_second_round2"] = proven[1];
            metrics["baseline_connects_per_second_round1"] = shared[0];
            metrics["baseline_connects_per_second_round2"] = shared[1];
        }
        finally
        {
            foreach (var identity in identities)
            {
                identity?.Dispose();
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return metrics;
    }

    /// <summary>Connects and registers n agents (128 at a time), waits until the server lists them all, disconnects them; connects per second.</summary>
    private static async Task<double> ConnectAllAsync(ServerProcess server, int n, Func<int, MeshAgentBuilder> create)
    {
        var agents = new MeshAgent[n];
        var watch = Stopwatch.StartNew();
        await ForEachAsync(Enumerable.Range(0, n), 128, async i =>
        {
            var agent = create(i)
                .WithServer(server.Url)
                .RegisterHandler("echo", c => c.Parameters)
                .Configure(o => o.RetryInitialConnection = true)
                .Build();
            agents[i] = agent;
            await agent.ConnectAsync();
        });
        await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() >= n, ScenarioLimit);
        var rate = n / watch.Elapsed.TotalSeconds;
        await ForEachAsync(agents, 256, a => a.DisposeAsync().AsTask());
        await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() == 0, ScenarioLimit);
        return rate;
    }
}
