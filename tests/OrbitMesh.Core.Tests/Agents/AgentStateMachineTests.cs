namespace OrbitMesh.Core.Tests.Agents;

/// <summary>Walks the whole agent lifecycle table of the architecture.</summary>
public sealed class AgentStateMachineTests
{
    private static readonly Dictionary<(AgentStatus, AgentTrigger), AgentStatus> Expected = new()
    {
        [(AgentStatus.Created, AgentTrigger.Initialize)] = AgentStatus.Initializing,
        [(AgentStatus.Stopped, AgentTrigger.Initialize)] = AgentStatus.Initializing,
        [(AgentStatus.Initializing, AgentTrigger.Start)] = AgentStatus.Ready,
        [(AgentStatus.Initializing, AgentTrigger.Fault)] = AgentStatus.Faulted,
        [(AgentStatus.Ready, AgentTrigger.Execute)] = AgentStatus.Running,
        [(AgentStatus.Running, AgentTrigger.Idle)] = AgentStatus.Ready,
        [(AgentStatus.Ready, AgentTrigger.Pause)] = AgentStatus.Paused,
        [(AgentStatus.Running, AgentTrigger.Pause)] = AgentStatus.Paused,
        [(AgentStatus.Paused, AgentTrigger.Resume)] = AgentStatus.Ready,
        [(AgentStatus.Ready, AgentTrigger.Stop)] = AgentStatus.Stopping,
        [(AgentStatus.Running, AgentTrigger.Stop)] = AgentStatus.Stopping,
        [(AgentStatus.Paused, AgentTrigger.Stop)] = AgentStatus.Stopping,
        [(AgentStatus.Stopping, AgentTrigger.Stopped)] = AgentStatus.Stopped,
        [(AgentStatus.Ready, AgentTrigger.Fault)] = AgentStatus.Faulted,
        [(AgentStatus.Running, AgentTrigger.Fault)] = AgentStatus.Faulted,
        [(AgentStatus.Stopping, AgentTrigger.Fault)] = AgentStatus.Faulted,
        [(AgentStatus.Faulted, AgentTrigger.Recover)] = AgentStatus.Initializing,
    };

    public static TheoryData<AgentStatus, AgentTrigger> EveryPair()
    {
        var data = new TheoryData<AgentStatus, AgentTrigger>();
        foreach (var status in Enum.GetValues<AgentStatus>())
        {
            foreach (var trigger in Enum.GetValues<AgentTrigger>())
            {
                data.Add(status, trigger);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Transition_FollowsTheTable(AgentStatus from, AgentTrigger trigger)
    {
        if (Expected.TryGetValue((from, trigger), out var to))
        {
            Assert.Equal(to, AgentStateMachine.Transition(from, trigger));
        }
        else
        {
            var error = Assert.Throws<InvalidAgentTransitionException>(() => AgentStateMachine.Transition(from, trigger));
            Assert.Equal(from, error.From);
        }
    }

    [Fact]
    public void Table_HasExactlyTheDocumentedTransitions_AndOnlyReadyAndRunningTakeWork()
    {
        Assert.Equal(Expected.Count, AgentStateMachine.All.Count());
        Assert.Equal([AgentStatus.Ready, AgentStatus.Running], Enum.GetValues<AgentStatus>().Where(AgentStateMachine.AcceptsWork));
        Assert.Equal(8, AgentStateMachine.LifecycleStatuses.Count);
    }
}
