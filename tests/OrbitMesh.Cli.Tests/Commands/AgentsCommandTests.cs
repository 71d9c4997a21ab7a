using OrbitMesh.Cli.Commands;

namespace OrbitMesh.Cli.Tests.Commands;

public sealed class AgentsCommandTests
{
    [Fact]
    public void Render_NoAgents_SaysSo()
    {
        Assert.Equal("No agents." + Environment.NewLine, AgentsCommand.Render([]));
    }

    [Fact]
    public void Render_Agents_IsATableWithOneRowEach()
    {
        AgentInfo[] agents =
        [
            new AgentInfo
            {
                Id = "agent-1",
                Name = "Agent One",
                Status = AgentStatus.Ready,
                Capabilities = ["gpu", "linux"],
                Groups = ["blue"],
                Load = new AgentLoad(2, 8, 10, 1000),
                LastHeartbeatAt = new DateTimeOffset(2026, 1, 2, 13, 45, 7, TimeSpan.Zero),
            },
            new AgentInfo { Id = "agent-22", Name = "agent-22", Status = AgentStatus.Disconnected },
        ];

        var text = AgentsCommand.Render(agents);

        Assert.Equal(
            string.Concat(new[]
            {
                "ID        NAME       STATUS        CAPABILITIES  GROUPS  LOAD  LAST HEARTBEAT",
                "--------  ---------  ------------  ------------  ------  ----  --------------",
                "agent-1   Agent One  Ready         gpu,linux     blue    2/8   13:45:07",
                "agent-22  agent-22   Disconnected                              ",
            }.Select(l => l + Environment.NewLine)),
            text);
    }

    [Fact]
    public void Render_HeartbeatTime_IsShownInTheOffsetItWasReported()
    {
        var agent = new AgentInfo { Id = "a", Name = "a", LastHeartbeatAt = new DateTimeOffset(2026, 1, 2, 23, 5, 9, TimeSpan.FromHours(2)) };

        Assert.Contains("23:05:09", AgentsCommand.Render([agent]), StringComparison.Ordinal);
    }
}
