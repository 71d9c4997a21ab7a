using System.Diagnostics;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Resilience;

/// <summary>The server process dies without warning; the agent processes come back to its successor on their own.</summary>
public sealed class ServerRestartTests(ITestOutputHelper output)
{
    /// <summary>
    /// How long the agents may take to find the restarted server: their reconnect back-off (decorrelated
    /// jitter, up to 30 s between attempts) grows while the server is down, so this is generous.
    /// </summary>
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(60);

    private static readonly (string Id, string[] Capabilities, string[] Groups)[] Agents =
    [
        ("restart-1", ["linux", "gpu"], ["blue"]),
        ("restart-2", ["linux"], ["blue", "canary"]),
        ("restart-3", ["linux", "high-memory"], ["green"]),
    ];

    [Fact]
    public async Task ServerKilledWithSigkill_AgentsReconnectByThemselves()
    {
        await using var mesh = new MeshProcesses(output);
        string[] serverArguments = ["--heartbeat-interval", "0.5"];
        var server = await mesh.StartServerAsync(extraArguments: serverArguments);
        var port = server.Port; // Every successor listens on the very same port.
        using var api = new MeshApi(server.Url);
        var ids = Agents.Select(a => a.Id).ToArray();

        var agents = await Task.WhenAll(Agents.Select(a => mesh.StartAgentAsync(server.Url, a.Id, a.Capabilities, a.Groups)));
        var listed = await api.WaitForReadyAsync(ids, "the first server lists all 3 agents Ready", MeshProcesses.StartTimeout);
        AssertRegisteredAsDeclared(listed);

        for (var round = 1; round <= 2; round++)
        {
            var killedAt = DateTimeOffset.UtcNow;
            var downtime = Stopwatch.StartNew();
            await server.Process.KillAsync();
            Assert.Equal(128 + 9, server.Process.ExitCode); // Killed by SIGKILL: no chance to say goodbye to the agents.

            server = await mesh.StartServerAsync(port, serverArguments);
            var restartedAfter = downtime.Elapsed;
            listed = await api.WaitForReadyAsync(ids, $"restart {round}: the new server lists all 3 agents Ready", ReconnectTimeout);
            output.WriteLine($"[test] restart {round}: new server listening after {restartedAfter.TotalSeconds:0.00} s, all agents Ready after {downtime.Elapsed.TotalSeconds:0.00} s");

            AssertRegisteredAsDeclared(listed);
            Assert.All(listed, a => Assert.True(a.ConnectedAt > killedAt, $"{a.Id} registered at {a.ConnectedAt:O}, before the server was killed at {killedAt:O}"));

            // The very same agent processes did it: none exited, none printed its start-up line again,
            // and each registered once more (its own log says so).
            for (var i = 0; i < agents.Length; i++)
            {
                var agent = agents[i];
                var id = ids[i];
                Assert.False(agent.HasExited, $"{agent.Name} exited.\n{agent.Describe()}");
                Assert.Single(agent.StdoutLines, l => l.StartsWith($"Agent {id} connected to ", StringComparison.Ordinal));
                var registrations = round + 1;
                await Wait.UntilAsync(
                    () => agent.StderrLines.Count(l => l.Contains($"Registered as agent {id} ", StringComparison.Ordinal)) >= registrations,
                    $"{agent.Name} logs its registration number {registrations}",
                    TimeSpan.FromSeconds(10));
            }
        }

        Assert.All(agents, a => Assert.False(a.HasExited, $"{a.Name} exited.\n{a.Describe()}"));
    }

    private static void AssertRegisteredAsDeclared(IReadOnlyList<AgentInfo> listed)
    {
        Assert.Equal(Agents.Length, listed.Count);
        foreach (var (id, capabilities, groups) in Agents)
        {
            var agent = Assert.Single(listed, a => a.Id == id);
            Assert.Equal(AgentStatus.Ready, agent.Status);
            Assert.Equal(capabilities.Order(), agent.Capabilities.Order());
            Assert.Equal(groups.Order(), agent.Groups.Order());
            Assert.Contains("echo", agent.Commands);
        }
    }
}
