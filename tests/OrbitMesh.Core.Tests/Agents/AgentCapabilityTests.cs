namespace OrbitMesh.Core.Tests.Agents;

public sealed class AgentCapabilityTests
{
    [Fact]
    public void ToString_IsTheNameAndEqualityIsByValue()
    {
        Assert.Equal("gpu", new AgentCapability("gpu").ToString());
        Assert.Equal(new AgentCapability("gpu"), new AgentCapability("gpu"));
    }
}
