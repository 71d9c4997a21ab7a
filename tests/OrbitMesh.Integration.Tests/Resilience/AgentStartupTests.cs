using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Resilience;

/// <summary>Agents started before their server wait for it instead of failing.</summary>
public sealed class AgentStartupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task AgentStartedBeforeTheServer_RetriesUntilTheServerListens()
    {
        await using var mesh = new MeshProcesses(output);
        var port = FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var agent = await mesh.StartAgentAsync(url, "early-bird", ["linux"], waitUntilConnected: false);
        await agent.WaitForStderrAsync(l => l.Contains("Cannot reach the server yet", StringComparison.Ordinal), "the agent retries while nothing listens", MeshProcesses.StartTimeout);
        Assert.False(agent.HasExited, agent.Describe());

        var server = await mesh.StartServerAsync(port, ["--heartbeat-interval", "0.5"]);
        using var api = new MeshApi(server.Url);

        await MeshProcesses.WaitUntilConnectedAsync(agent, "early-bird");
        await api.WaitForReadyAsync(["early-bird"], "the early agent is Ready", TimeSpan.FromSeconds(60));
    }
}
