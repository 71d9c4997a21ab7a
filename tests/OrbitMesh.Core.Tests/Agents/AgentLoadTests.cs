namespace OrbitMesh.Core.Tests.Agents;

public sealed class AgentLoadTests
{
    [Theory]
    [InlineData(0, 4, 0.0)]
    [InlineData(1, 4, 0.25)]
    [InlineData(4, 4, 1.0)]
    [InlineData(9, 4, 1.0)]
    [InlineData(-3, 4, 0.0)]
    [InlineData(5, 0, 1.0)]
    [InlineData(0, 0, 1.0)]
    [InlineData(1, -2, 1.0)]
    [InlineData(1, 10_000, 0.0001)]
    public void Utilization_IsTheClampedShareOfSlotsInUse(int active, int max, double expected)
    {
        Assert.Equal(expected, new AgentLoad(active, max, 0, 0).Utilization, precision: 10);
    }

    [Fact]
    public void Idle_IsOneFreeSlot()
    {
        Assert.Equal(new AgentLoad(0, 1, 0, 0), AgentLoad.Idle);
        Assert.Equal(0, AgentLoad.Idle.Utilization);
    }
}
