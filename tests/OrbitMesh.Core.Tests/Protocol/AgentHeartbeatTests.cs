using OrbitMesh.Protocol;

namespace OrbitMesh.Core.Tests.Protocol;

public sealed class AgentHeartbeatTests
{
    [Fact]
    public void ToLoad_CopiesAValidHeartbeat()
    {
        var heartbeat = new AgentHeartbeat { ActiveJobs = 2, MaxConcurrentJobs = 8, CpuPercent = 12.5, WorkingSetBytes = 4096 };

        Assert.Equal(new AgentLoad(2, 8, 12.5, 4096), heartbeat.ToLoad());
    }

    [Fact]
    public void ToLoad_ClampsEveryField()
    {
        var heartbeat = new AgentHeartbeat { ActiveJobs = -5, MaxConcurrentJobs = 0, CpuPercent = -1, WorkingSetBytes = -100 };

        Assert.Equal(new AgentLoad(0, 1, 0, 0), heartbeat.ToLoad());
    }

    [Fact]
    public void ToLoad_ClampsCpuAbove100AndNegativeMax()
    {
        var heartbeat = new AgentHeartbeat { ActiveJobs = 3, MaxConcurrentJobs = -7, CpuPercent = 250, WorkingSetBytes = long.MaxValue };

        Assert.Equal(new AgentLoad(3, 1, 100, long.MaxValue), heartbeat.ToLoad());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(100.0)]
    public void ToLoad_KeepsCpuAtTheBounds(double cpu)
    {
        Assert.Equal(cpu, new AgentHeartbeat { CpuPercent = cpu }.ToLoad().CpuPercent);
    }

    [Fact]
    public void Heartbeat_DefaultsToOneSlot()
    {
        Assert.Equal(new AgentLoad(0, 1, 0, 0), new AgentHeartbeat().ToLoad());
    }
}
