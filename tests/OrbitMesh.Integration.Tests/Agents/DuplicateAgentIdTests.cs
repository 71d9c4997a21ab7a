using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Agents;

/// <summary>Two agent processes register with the same id: the newer one wins and the older one stops for good.</summary>
public sealed class DuplicateAgentIdTests(ITestOutputHelper output)
{
    private const string Id = "twin";

    [Fact]
    public async Task DuplicateAgentId_SecondReplacesFirst_FirstExitsAndDoesNotReconnect()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ["--heartbeat-interval", "0.5"]);
        using var api = new MeshApi(server.Url);
        var first = await mesh.StartAgentAsync(server.Url, Id, ["first"]);
        var firstListing = await api.WaitForAgentAsync(Id, a => a.Status == AgentStatus.Ready, "the first agent is Ready", MeshProcesses.StartTimeout);

        var second = await mesh.StartAgentAsync(server.Url, Id, ["second"]);

        var exitCode = await first.WaitForExitAsync("the replaced agent to exit", TimeSpan.FromSeconds(20));
        Assert.True(exitCode != 0, first.Describe());
        var error = Assert.Single(first.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"Another connection registered as agent '{Id}'", error, StringComparison.Ordinal);
        Assert.Contains("must not reconnect", error, StringComparison.Ordinal);
        Assert.Contains(first.StderrLines, l => l.Contains("(replaced)", StringComparison.Ordinal));

        // The listing is the second agent's registration (its capability), Ready, and it stays so while it
        // heartbeats on: the first one never registers again.
        var secondListing = await api.WaitForAgentAsync(
            Id,
            a => a.Status == AgentStatus.Ready && a.Capabilities.SequenceEqual(["second"]),
            "the second agent is the one listed Ready",
            TimeSpan.FromSeconds(10));
        Assert.True(secondListing.ConnectedAt > firstListing.ConnectedAt);
        await api.WaitForAgentAsync(
            Id,
            a =>
            {
                Assert.Equal(AgentStatus.Ready, a.Status);
                Assert.Equal(secondListing.ConnectedAt, a.ConnectedAt);
                return a.LastHeartbeatAt > secondListing.ConnectedAt + TimeSpan.FromSeconds(2);
            },
            "the second agent heartbeats for 2 s on the same registration",
            TimeSpan.FromSeconds(15));

        Assert.False(second.HasExited, second.Describe());
        Assert.Single(second.StdoutLines, l => l.StartsWith($"Agent {Id} connected to ", StringComparison.Ordinal));
        Assert.Equal(2, server.Process.StderrLines.Count(l => l.Contains($"Agent {Id} registered on connection", StringComparison.Ordinal)));
        Assert.Single(server.Process.StderrLines, l => l.Contains($"Agent {Id} registered again", StringComparison.Ordinal));
    }
}
