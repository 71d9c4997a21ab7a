using Microsoft.Extensions.DependencyInjection;
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
        // A manual clock: the retry cannot fire in the first engine however slow the machine is (with the real clock a
        // 500 ms retry window could pass between two polls and the first engine would finish the run itself).
        var clock = new ManualTimeProvider();
        var mesh = new FakeMesh();
        var events = new InMemoryEventStore(TimeProvider.System);
        var calls = 0;
        mesh.Handle("flaky", _ => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("first try fails") : new { ok = true });
        var definition = new WorkflowBuilder("retry-across-restart").AddCommand("flaky", "flaky").WithRetry(2, TimeSpan.FromMilliseconds(500), jitter: false).Build();
        void UseClock(IServiceCollection services) => services.AddSingleton<TimeProvider>(clock);

        string runId;
        DateTimeOffset? nextAttemptAt = null;
        await using (var first = await EngineHost.StartAsync(mesh, events, UseClock))
        {
            runId = (await first.Engine.StartRunAsync(definition)).RunId;
            await Wait.UntilAsync(
                async () => (nextAttemptAt = (await first.Engine.GetRunAsync(runId))!.Steps[0].NextAttemptAt) is not null,
                "the retry to be recorded");
        }

        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMilliseconds(500), nextAttemptAt);
        await using var second = await EngineHost.StartAsync(mesh, events, UseClock);
        var resumed = await second.Engine.GetRunAsync(runId);
        Assert.Equal(WorkflowStepStatus.Retrying, resumed!.Steps[0].Status);
        Assert.Equal(1, Volatile.Read(ref calls));

        // The second engine arms its retry timer on its own loop, maybe after this line; a manual timer fires only when the
        // clock moves, so the clock moves in small steps until the retry has run.
        clock.Advance(TimeSpan.FromMilliseconds(400));
        await Wait.UntilAsync(() => { clock.Advance(TimeSpan.FromMilliseconds(10)); return Volatile.Read(ref calls) == 2; }, "the retry to run");
        var done = await Wait.ForAsync(second.Engine.WaitForRunAsync(runId), "the retried run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        Assert.Equal(2, done.Steps[0].Attempts);
        Assert.True(done.Steps[0].FinishedAt >= nextAttemptAt, $"the retry ran at {done.Steps[0].FinishedAt:O}, before its recorded time {nextAttemptAt:O}");
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
