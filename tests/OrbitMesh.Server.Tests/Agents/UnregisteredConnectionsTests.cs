using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Agents;

/// <summary>Connections waiting to register, with a manual clock.</summary>
public sealed class UnregisteredConnectionsTests
{
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void TakeExpired_ReturnsOnlyConnectionsOlderThanTheTimeoutAndForgetsThem()
    {
        var connections = new UnregisteredConnections(_time);
        var early = new FakeCallerContext("early");
        connections.Add(early);
        _time.Advance(TimeSpan.FromSeconds(4));
        connections.Add(new FakeCallerContext("late"));

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Empty(connections.TakeExpired(TimeSpan.FromSeconds(10)));

        _time.Advance(TimeSpan.FromTicks(1));
        var expired = connections.TakeExpired(TimeSpan.FromSeconds(10));

        Assert.Same(early, Assert.Single(expired));
        Assert.Equal(1, connections.Count);
        Assert.Empty(connections.TakeExpired(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Remove_ARegisteredConnection_IsNeverExpired()
    {
        var connections = new UnregisteredConnections(_time);
        connections.Add(new FakeCallerContext("c1"));

        connections.Remove("c1");
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Empty(connections.TakeExpired(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, connections.Count);
    }
}
