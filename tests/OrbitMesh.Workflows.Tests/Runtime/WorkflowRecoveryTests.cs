using OrbitMesh.Server.Storage;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>An engine stopped mid-run and a new one started over the same event store: a restart.</summary>
public sealed class WorkflowRecoveryTests
{
    [Fact]
    public async Task ARestartedEngine_ResumesTheRun_WithoutRunningACompletedStepAgain_AndAttachesToTheInFlightJob()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Succeed("one", "three");
        mesh.Handle("two", async (_, _) => { started.TrySetResult(); await release.Task; return new { second = true }; });
        var definition = new WorkflowBuilder("resumable").AddCommand("one", "one").AddCommand("two", "two").AddCommand("three", "three").Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events))
        {
            runId = (await first.Engine.StartRunAsync(definition)).RunId;
            await Wait.ForAsync(started.Task, "step two to be in flight");
        }

        await using var second = await EngineHost.StartAsync(mesh, events);
        var resumed = await second.Engine.GetRunAsync(runId);
        Assert.Equal(WorkflowStepStatus.Running, resumed!.Steps[1].Status);
        release.SetResult();
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the resumed run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        Assert.Equal(["one", "two", "three"], mesh.Commands);
        // The restarted engine asked for attempt 1 of step two again, under the same key, and got the first job's result.
        Assert.Equal(2, mesh.Asked.Count(r => r.IdempotencyKey == $"{runId}:two:1"));
        Assert.Single(mesh.Asked, r => r.IdempotencyKey == $"{runId}:one:1");
        Assert.True(done.Steps[1].Output!.Value.GetProperty("second").GetBoolean());
    }

    [Fact]
    public async Task ARestartedEngine_ResumesAPendingRetryAtItsRecordedTime()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var calls = 0;
        var failedOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("flaky", _ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                failedOnce.SetResult();
                throw new InvalidOperationException("first try fails");
            }

            return new { ok = true };
        });
        var definition = new WorkflowBuilder("retry-across-restart").AddCommand("flaky", "flaky").WithRetry(2, TimeSpan.FromMilliseconds(500), jitter: false).Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events))
        {
            runId = (await first.Engine.StartRunAsync(definition)).RunId;
            await Wait.ForAsync(failedOnce.Task, "the first attempt to fail");
            await Wait.UntilAsync(async () => (await first.Engine.GetRunAsync(runId))!.Steps[0].Status == WorkflowStepStatus.Retrying, "the retry to be recorded");
        }

        await using var second = await EngineHost.StartAsync(mesh, events);
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the retried run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        Assert.Equal(2, done.Steps[0].Attempts);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ARestartDuringCompensation_FinishesTheSagaWithoutUndoingAStepTwice()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var undoBStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseUndoB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Succeed("a", "b", "undo.a");
        mesh.Handle("undo.b", async (_, _) => { undoBStarted.TrySetResult(); await releaseUndoB.Task; return null; });
        mesh.Handle("c", _ => throw new InvalidOperationException("c broke"));
        var definition = new WorkflowBuilder("saga-restart")
            .AddCommand("a", "a").WithCompensation("undo.a")
            .AddCommand("b", "b").WithCompensation("undo.b")
            .AddCommand("c", "c")
            .Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events))
        {
            runId = (await first.Engine.StartRunAsync(definition)).RunId;
            await Wait.ForAsync(undoBStarted.Task, "b's compensation to be in flight");
        }

        await using var second = await EngineHost.StartAsync(mesh, events);
        releaseUndoB.SetResult();
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the saga to end");

        Assert.Equal(WorkflowRunStatus.Failed, done.Status);
        Assert.Equal(["a", "b", "c", "undo.b", "undo.a"], mesh.Commands);
        Assert.Equal([WorkflowStepStatus.Compensated, WorkflowStepStatus.Compensated, WorkflowStepStatus.Failed], done.Steps.Select(s => s.Status));
    }

    [Fact]
    public async Task ARunWhoseCodeDefinitionChanged_IsRefusedAtResume_WithTheReason()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("slow", async (_, ct) => { started.TrySetResult(); await Task.Delay(Timeout.Infinite, ct); return null; });
        mesh.Succeed("next");
        var original = new WorkflowBuilder("coded").AddCommand("slow", "slow").AddCommand("next", "next").When(_ => true).Build();
        var changed = new WorkflowBuilder("coded").AddCommand("slow", "slow").AddCommand("renamed", "next").When(_ => true).Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events))
        {
            runId = (await first.Engine.StartRunAsync(original)).RunId;
            await Wait.ForAsync(started.Task, "the first step to be in flight");
        }

        // The new server's code registers other content under the same name and version: refused at start.
        await Assert.ThrowsAsync<WorkflowVersionConflictException>(() => EngineHost.StartAsync(mesh, events, s => s.AddWorkflow(changed)));

        // A server without the code cannot evaluate the run's conditions: the run fails with the reason instead of running wrongly.
        await using var second = await EngineHost.StartAsync(mesh, events);
        var refused = await second.Engine.GetRunAsync(runId);
        Assert.Equal(WorkflowRunStatus.Failed, refused!.Status);
        Assert.Contains("cannot be resumed", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("conditions or configure actions in code", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARunWithCodeIsResumed_WhenTheServerRegistersTheSameDefinitionAtStart()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("slow", async (_, _) => { started.TrySetResult(); await release.Task; return null; });
        mesh.Succeed("next");
        WorkflowDefinition Build() => new WorkflowBuilder("coded").AddCommand("slow", "slow").AddCommand("next", "next").When(_ => true).AddCommand("skip", "skip").When(_ => false).Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events, s => s.AddWorkflow(Build())))
        {
            runId = (await first.Engine.StartRunAsync("coded")).RunId;
            await Wait.ForAsync(started.Task, "the first step to be in flight");
        }

        await using var second = await EngineHost.StartAsync(mesh, events, s => s.AddWorkflow(Build()));
        release.SetResult();
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the resumed run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        Assert.Equal([WorkflowStepStatus.Succeeded, WorkflowStepStatus.Succeeded, WorkflowStepStatus.Skipped], done.Steps.Select(s => s.Status));
    }

    [Fact]
    public async Task APausedRun_StaysPausedAcrossARestart()
    {
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        mesh.Succeed("a", "b");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("a", async (_, _) => { started.TrySetResult(); await gate.Task; return null; });
        var definition = new WorkflowBuilder("paused").AddCommand("a", "a").AddCommand("b", "b").Build();

        string runId;
        await using (var first = await EngineHost.StartAsync(mesh, events))
        {
            runId = (await first.Engine.StartRunAsync(definition)).RunId;
            await Wait.ForAsync(started.Task, "step a to start");
            await first.Engine.PauseRunAsync(runId);
        }

        gate.SetResult();
        await using var second = await EngineHost.StartAsync(mesh, events);
        await Wait.UntilAsync(async () => (await second.Engine.GetRunAsync(runId))!.Steps[0].Status == WorkflowStepStatus.Succeeded, "step a to finish after the restart");
        await second.Engine.PauseRunAsync(runId);
        Assert.Equal(WorkflowStepStatus.Pending, (await second.Engine.GetRunAsync(runId))!.Steps[1].Status);

        await second.Engine.ResumeRunAsync(runId);
        Assert.Equal(WorkflowRunStatus.Succeeded, (await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the run to end")).Status);
    }
}
