namespace OrbitMesh.Core.Tests.Jobs;

/// <summary>Walks the whole job transition table: every allowed pair gives its status, every other pair is refused.</summary>
public sealed class JobStateMachineTests
{
    public static TheoryData<JobStatus, JobTrigger> EveryPair()
    {
        var data = new TheoryData<JobStatus, JobTrigger>();
        foreach (var status in Enum.GetValues<JobStatus>())
        {
            foreach (var trigger in Enum.GetValues<JobTrigger>())
            {
                data.Add(status, trigger);
            }
        }

        return data;
    }

    private static readonly Dictionary<(JobStatus, JobTrigger), JobStatus> Expected = new()
    {
        [(JobStatus.Pending, JobTrigger.Assign)] = JobStatus.Assigned,
        [(JobStatus.Pending, JobTrigger.Cancel)] = JobStatus.Cancelled,
        [(JobStatus.Pending, JobTrigger.Fail)] = JobStatus.Failed,
        [(JobStatus.Assigned, JobTrigger.Acknowledge)] = JobStatus.Running,
        [(JobStatus.Assigned, JobTrigger.Reassign)] = JobStatus.Pending,
        [(JobStatus.Assigned, JobTrigger.Cancel)] = JobStatus.Cancelled,
        [(JobStatus.Assigned, JobTrigger.Fail)] = JobStatus.Failed,
        [(JobStatus.Running, JobTrigger.Complete)] = JobStatus.Completed,
        [(JobStatus.Running, JobTrigger.Fail)] = JobStatus.Failed,
        [(JobStatus.Running, JobTrigger.Cancel)] = JobStatus.Cancelled,
        [(JobStatus.Running, JobTrigger.TimeOut)] = JobStatus.TimedOut,
        [(JobStatus.Running, JobTrigger.LeaseExpired)] = JobStatus.Pending,
        [(JobStatus.Running, JobTrigger.Release)] = JobStatus.Pending,
        [(JobStatus.Failed, JobTrigger.Retry)] = JobStatus.Pending,
        [(JobStatus.Failed, JobTrigger.DeadLetter)] = JobStatus.DeadLettered,
    };

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Transition_FollowsTheTable(JobStatus from, JobTrigger trigger)
    {
        if (Expected.TryGetValue((from, trigger), out var to))
        {
            Assert.Equal(to, JobStateMachine.Transition(from, trigger));
            Assert.True(JobStateMachine.TryTransition(from, trigger, out var tried));
            Assert.Equal(to, tried);
        }
        else
        {
            var error = Assert.Throws<InvalidJobTransitionException>(() => JobStateMachine.Transition(from, trigger));
            Assert.Equal(from, error.From);
            Assert.Equal(trigger, error.Trigger);
            Assert.Contains(from.ToString(), error.Message, StringComparison.Ordinal);
            Assert.False(JobStateMachine.TryTransition(from, trigger, out _));
        }
    }

    [Fact]
    public void Table_HasExactlyTheDocumentedTransitions()
    {
        Assert.Equal(Expected.Count, JobStateMachine.All.Count());
        Assert.All(JobStateMachine.All, t => Assert.Equal(Expected[(t.From, t.Trigger)], t.To));
    }

    [Theory]
    [InlineData(JobStatus.Completed)]
    [InlineData(JobStatus.Cancelled)]
    [InlineData(JobStatus.TimedOut)]
    [InlineData(JobStatus.DeadLettered)]
    public void TerminalStatuses_HaveNoWayOut(JobStatus status)
    {
        Assert.True(JobStateMachine.IsTerminal(status));
        Assert.DoesNotContain(JobStateMachine.All, t => t.From == status);
    }
}
