using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Workflows.Tests.Runtime;

public sealed class WorkflowRolloutTests
{
    private static WorkflowDefinition Deploy() => new WorkflowBuilder("deploy")
        .AddCommand("install", "install").WithCompensation("uninstall")
        .AddCommand("verify", "verify")
        .Build();

    private static async Task<(EngineHost Host, IWorkflowClient Client)> StartAsync(FakeMesh mesh)
    {
        var host = await EngineHost.StartAsync(mesh, configure: s => s.AddWorkflow(Deploy()));
        return (host, host.Services.GetRequiredService<IWorkflowClient>());
    }

    [Fact]
    public async Task OnAll_RunsOneInstancePerAgent_EachBoundToItsAgent()
    {
        var mesh = new FakeMesh();
        mesh.Handle("install", r => new { on = r.Target!.AgentId, agentId = r.Parameters!.Value.GetProperty("agentId").GetString() });
        mesh.Succeed("verify");
        var (host, client) = await StartAsync(mesh);
        await using var _ = host;

        var runs = await client.ExecuteWorkflowOnAllAsync("deploy");

        Assert.Equal(["agent-1", "agent-2", "agent-3"], runs.Select(r => r.BoundAgent).Order(StringComparer.Ordinal));
        Assert.All(runs, run =>
        {
            Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
            Assert.Equal(run.BoundAgent, run.Steps[0].Output!.Value.GetProperty("on").GetString());
            Assert.Equal(run.BoundAgent, run.Steps[0].Output!.Value.GetProperty("agentId").GetString());
        });
        Assert.Equal(2, (await client.ExecuteWorkflowOnAllAsync("deploy", target: AgentTarget.InGroup("main"))).Count);
    }

    [Fact]
    public async Task Rolling_AFailedBatchStopsTheRollout_AndRollsBackTheInstancesDone()
    {
        var mesh = new FakeMesh { Agents = ["agent-1", "agent-2", "agent-3", "agent-4"] };
        mesh.Succeed("install", "uninstall");
        mesh.Handle("verify", r => r.Target!.AgentId == "agent-2" ? throw new InvalidOperationException("agent-2 unhealthy") : null);
        var (host, client) = await StartAsync(mesh);
        await using var _ = host;

        var result = await client.ExecuteWorkflowRollingAsync("deploy", batchPercent: 25);

        Assert.False(result.Completed);
        Assert.Equal(1, result.BatchSize);
        Assert.Equal([["agent-1"], ["agent-2"]], result.Batches.Select(b => b.Select(r => r.BoundAgent!).ToArray()));
        Assert.Equal(WorkflowRunStatus.Failed, result.Batches[1][0].Status);
        Assert.Equal(["agent-3", "agent-4"], result.SkippedAgents);
        var rolledBack = Assert.Single(result.RolledBack);
        Assert.Equal(("agent-1", WorkflowRunStatus.RolledBack), (rolledBack.BoundAgent, rolledBack.Status));
        Assert.Equal(WorkflowStepStatus.Compensated, rolledBack.Steps[0].Status);
        Assert.Contains(mesh.Ran, r => r.Command == "uninstall" && r.Target!.AgentId == "agent-1");
        Assert.DoesNotContain(mesh.Ran, r => r.Target!.AgentId is "agent-3" or "agent-4");
        // agent-2's own failed instance was compensated by its saga: its install was undone on agent-2.
        Assert.Contains(mesh.Ran, r => r.Command == "uninstall" && r.Target!.AgentId == "agent-2");
    }

    [Fact]
    public async Task Rolling_At50Percent_GoesThroughInTwoBatches()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("install", "verify");
        var (host, client) = await StartAsync(mesh);
        await using var _ = host;

        var result = await client.ExecuteWorkflowRollingAsync("deploy", batchPercent: 50);

        Assert.True(result.Completed);
        Assert.Equal(2, result.BatchSize);
        Assert.Equal([2, 1], result.Batches.Select(b => b.Count));
        Assert.Empty(result.RolledBack);
        Assert.All(result.Batches.SelectMany(b => b), r => Assert.Equal(WorkflowRunStatus.Succeeded, r.Status));
    }

    [Fact]
    public async Task RollBack_IsOnlyForSucceededRuns_AndSurvivesARestart()
    {
        var mesh = new FakeMesh();
        var undoStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseUndo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Succeed("install", "verify");
        mesh.Handle("uninstall", async (_, _) => { undoStarted.TrySetResult(); await releaseUndo.Task; return null; });
        mesh.Handle("broken", _ => throw new InvalidOperationException("no"));
        var events = new OrbitMesh.Server.Storage.InMemoryEventStore(TimeProvider.System);
        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events, s => s.AddWorkflow(Deploy())))
        {
            var failed = await first.RunAsync(new WorkflowBuilder("bad").AddCommand("x", "broken").Build());
            var refused = await Assert.ThrowsAsync<WorkflowRunStateException>(() => first.Engine.RollBackRunAsync(failed.RunId));
            Assert.Contains("only a succeeded run can be rolled back", refused.Message, StringComparison.Ordinal);

            var run = await first.RunAsync(Deploy());
            runId = run.RunId;
            await first.Engine.RollBackRunAsync(runId, "bad release");
            await Wait.ForAsync(undoStarted.Task, "the uninstall to be in flight");
        }

        await using var second = await EngineHost.StartAsync(mesh, events, s => s.AddWorkflow(Deploy()));
        releaseUndo.SetResult();
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the rollback to finish after the restart");
        Assert.Equal(WorkflowRunStatus.RolledBack, done.Status);
        Assert.Equal("bad release", done.Reason);
        Assert.Single(mesh.Ran, r => r.Command == "uninstall");
    }
}
