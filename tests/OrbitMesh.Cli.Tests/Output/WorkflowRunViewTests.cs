using OrbitMesh.Cli.Output;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Tests.Output;

/// <summary>The run table's progress detail, and the follower that feeds it from step jobs' events.</summary>
public sealed class WorkflowRunViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_ShowsARunningStepsJobProgress_AndOtherStepsAsBefore()
    {
        var run = Run(("build", WorkflowStepStatus.Running, "job_1"), ("test", WorkflowStepStatus.Pending, null), ("lint", WorkflowStepStatus.Running, "job_2"));

        var text = WorkflowRunView.Render(run, Now, job => job == "job_1" ? (42.4, "compiling") : null);

        var build = text.Split('\n').Single(l => l.StartsWith("build", StringComparison.Ordinal));
        Assert.EndsWith("42 % compiling", build.TrimEnd(), StringComparison.Ordinal);
        var lint = text.Split('\n').Single(l => l.StartsWith("lint", StringComparison.Ordinal));
        Assert.EndsWith("job_2", lint.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(WorkflowRunView.Render(run, Now).Split('\n').Length, text.Split('\n').Length);
    }

    [Fact]
    public async Task StepJobProgress_FollowsTheRunningStepsJob_AndReportsEachChange()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("slow", async (c, ct) =>
        {
            await c.ReportProgressAsync(50, "half", ct);
            await release.Task.WaitAsync(ct);
            return null;
        }).Build();
        await agent.ConnectAsync();
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "slow", Pattern = ExecutionPattern.LongRunning });

        var changes = 0;
        await using (var progress = new StepJobProgress(server.Mesh, () => Interlocked.Increment(ref changes), CancellationToken.None))
        {
            progress.Follow(Run(("deploy", WorkflowStepStatus.Running, job.Id)));
            progress.Follow(Run(("deploy", WorkflowStepStatus.Running, job.Id)));
            await Wait.UntilAsync(() => progress.Of(job.Id) is { Percent: 50, Message: "half" }, "the step job's progress");
            Assert.Equal(1, Volatile.Read(ref changes));
            Assert.Null(progress.Of("job_other"));
            release.SetResult();
            await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.IsFinal, "the job to end");
        }
    }

    private static WorkflowRun Run(params (string Id, WorkflowStepStatus Status, string? JobId)[] steps) => new()
    {
        RunId = "run_1",
        Workflow = "deploy",
        Version = 1,
        Status = WorkflowRunStatus.Running,
        StartedAt = Now.AddSeconds(-10),
        Steps = [.. steps.Select(s => new WorkflowStepRun { StepId = s.Id, Status = s.Status, JobId = s.JobId, Attempts = s.Status == WorkflowStepStatus.Pending ? 0 : 1, StartedAt = s.Status == WorkflowStepStatus.Pending ? null : Now.AddSeconds(-5) })],
    };
}
