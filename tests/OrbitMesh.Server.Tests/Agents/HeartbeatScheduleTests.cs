using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Agents;

/// <summary>The heartbeat interval grows with the fleet, and liveness thresholds grow with the interval an agent was given.</summary>
public sealed class HeartbeatScheduleTests
{
    private static readonly TimeSpan UnreachableAfter = TimeSpan.FromSeconds(17.5);
    private static readonly TimeSpan CloseAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private readonly ManualTimeProvider _time = new();

    private (AgentRegistry Registry, HeartbeatSchedule Schedule) Create(int maxPerSecond)
    {
        var registry = new AgentRegistry(_time, new OrbitMesh.Server.Jobs.AgentSlots(), NullLogger<AgentRegistry>.Instance);
        var options = new OrbitMeshServerOptions { HeartbeatInterval = TimeSpan.FromSeconds(5), MaxHeartbeatsPerSecond = maxPerSecond };
        return (registry, new HeartbeatSchedule(registry, Microsoft.Extensions.Options.Options.Create(options)));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5_000, 5)]
    [InlineData(10_000, 10)]
    [InlineData(100_000, 100)]
    public void For_KeepsTheConfiguredIntervalUntilTheRateCap_ThenGrowsWithTheFleet(int agents, double expectedSeconds)
    {
        var (_, schedule) = Create(maxPerSecond: 1000);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), schedule.For(agents));
    }

    [Fact]
    public void Assign_GivesTheCurrentIntervalAndScalesTheAgentsThresholds()
    {
        var (registry, schedule) = Create(maxPerSecond: 1);
        var agents = Enumerable.Range(0, 10).Select(i => registry.Register($"c{i}", new FakeCallerContext($"c{i}"), Registrations.Valid($"a{i}")).Agent).ToList();

        Assert.Equal(10_000, schedule.Assign(agents[0]));
        Assert.Equal(2.0, agents[0].HeartbeatScale);
        Assert.Equal(1.0, agents[1].HeartbeatScale);

        // Past the configured threshold, only the agent that was told to beat every 10 s is still Ready.
        _time.Advance(UnreachableAfter + TimeSpan.FromSeconds(1));
        registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Ready, registry.GetAgent("a0")!.Status);
        Assert.Equal(AgentStatus.Unreachable, registry.GetAgent("a1")!.Status);

        // Its own threshold (twice the configured one) still applies.
        _time.Advance(UnreachableAfter);
        registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Unreachable, registry.GetAgent("a0")!.Status);
    }

    [Fact]
    public async Task Register_OnAServer_ReturnsTheSpreadInterval()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            o.MaxHeartbeatsPerSecond = 1;
        });
        await using var first = await RawAgent.RegisterAsync(server, "spread-1");
        await using var second = await RawAgent.RegisterAsync(server, "spread-2");

        Assert.Equal(1000, first.Registration!.HeartbeatIntervalMs);
        Assert.Equal(2000, second.Registration!.HeartbeatIntervalMs);
        Assert.Equal(2000, (await first.HeartbeatAsync()).HeartbeatIntervalMs);
    }
}
