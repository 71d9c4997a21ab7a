namespace OrbitMesh.Core.Tests.Jobs;

public sealed class AgentTargetTests
{
    [Fact]
    public void ForAgent_SetsOnlyTheAgentId()
    {
        var target = AgentTarget.ForAgent("agent-1");

        Assert.Equal("agent-1", target.AgentId);
        Assert.Null(target.Capability);
        Assert.Null(target.Group);
        Assert.Equal("agent 'agent-1'", target.ToString());
    }

    [Fact]
    public void WithCapability_SetsOnlyTheCapability()
    {
        var target = AgentTarget.WithCapability("gpu");

        Assert.Null(target.AgentId);
        Assert.Equal("gpu", target.Capability);
        Assert.Null(target.Group);
        Assert.Equal("capability 'gpu'", target.ToString());
    }

    [Fact]
    public void InGroup_SetsOnlyTheGroup()
    {
        var target = AgentTarget.InGroup("blue");

        Assert.Null(target.AgentId);
        Assert.Null(target.Capability);
        Assert.Equal("blue", target.Group);
        Assert.Equal("group 'blue'", target.ToString());
    }

    [Fact]
    public void Empty_IsAnyAgent()
    {
        Assert.Equal("any agent", new AgentTarget().ToString());
    }

    [Fact]
    public void ToString_PrefersAgentThenCapabilityThenGroup()
    {
        Assert.Equal("agent 'a'", new AgentTarget { AgentId = "a", Capability = "c", Group = "g" }.ToString());
        Assert.Equal("capability 'c'", new AgentTarget { Capability = "c", Group = "g" }.ToString());
    }

    [Fact]
    public void Targets_AreComparedByValue()
    {
        Assert.Equal(AgentTarget.ForAgent("a"), AgentTarget.ForAgent("a"));
        Assert.NotEqual(AgentTarget.ForAgent("a"), AgentTarget.InGroup("a"));
    }

    [Fact]
    public void Matches_ByIdCapabilityOrGroup_AndAnEmptyTargetMatchesAnyAgent()
    {
        var agent = new AgentInfo { Id = "a-1", Name = "a-1", Capabilities = ["gpu"], Groups = ["blue"] };

        Assert.True(AgentTarget.ForAgent("a-1").Matches(agent));
        Assert.False(AgentTarget.ForAgent("A-1").Matches(agent));
        Assert.True(AgentTarget.WithCapability("gpu").Matches(agent));
        Assert.False(AgentTarget.WithCapability("cpu").Matches(agent));
        Assert.True(AgentTarget.InGroup("blue").Matches(agent));
        Assert.False(AgentTarget.InGroup("green").Matches(agent));
        Assert.True(new AgentTarget().Matches(agent));
    }
}
