using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Runtime;

public sealed class WorkflowEngineTests
{
    [Fact]
    public async Task SequentialCommandSteps_RunInOrderAsIdempotentJobsOfTheRun()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("app.validate", "app.build", "app.install");
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("deploy")
            .AddCommand("validate", "app.validate")
            .AddCommand("build", "app.build", new { level = 2 })
            .AddCommand("install", "app.install")
            .Build();

        var run = await host.RunAsync(definition, new { version = "1.2.3" });

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(["app.validate", "app.build", "app.install"], mesh.Commands);
        Assert.All(run.Steps, step => Assert.Equal((WorkflowStepStatus.Succeeded, 1), (step.Status, step.Attempts)));
        Assert.All(run.Steps, step => Assert.NotNull(step.JobId));
        var build = mesh.Ran[1];
        Assert.Equal($"{run.RunId}:build:1", build.IdempotencyKey);
        Assert.Equal(run.RunId, build.CorrelationId);
        Assert.Equal(1, build.MaxAttempts);
        Assert.Equal("1.2.3", build.Parameters!.Value.GetProperty("version").GetString());
        Assert.Equal(2, build.Parameters!.Value.GetProperty("level").GetInt32());
        Assert.Equal("app.build", run.Steps[1].Output!.Value.GetProperty("done").GetString());
    }

    [Fact]
    public async Task ParallelBranches_RunAtTheSameTime()
    {
        var mesh = new FakeMesh();
        var aStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Each branch finishes only once the other has started: run one after the other, they would wait forever.
        mesh.Handle("a", async (_, ct) => { aStarted.SetResult(); await bStarted.Task.WaitAsync(ct); return null; });
        mesh.Handle("b", async (_, ct) => { bStarted.SetResult(); await aStarted.Task.WaitAsync(ct); return null; });
        mesh.Succeed("first", "last");
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("fan")
            .AddCommand("first", "first")
            .AddParallel(branch => branch.AddCommand("a", "a"), branch => branch.AddCommand("b", "b"))
            .AddCommand("last", "last")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal("first", mesh.Commands[0]);
        Assert.Equal("last", mesh.Commands[^1]);
    }

    [Fact]
    public async Task MaxParallelism_BoundsHowManyStepsOfARunRunAtOnce()
    {
        var mesh = new FakeMesh();
        var inFlight = 0;
        var most = 0;
        mesh.Handle("work", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Delay(20, ct);
            Interlocked.Decrement(ref inFlight);
            return null;
        });
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("bounded")
            .WithMaxParallelism(2)
            .AddParallel(b => b.AddCommand("w1", "work"), b => b.AddCommand("w2", "work"), b => b.AddCommand("w3", "work"), b => b.AddCommand("w4", "work"), b => b.AddCommand("w5", "work"))
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(5, mesh.Ran.Count);
        Assert.InRange(most, 1, 2);
    }

    [Fact]
    public async Task RetryableFailures_AreRetriedWithANewAttemptKeyUntilOneSucceeds()
    {
        var mesh = new FakeMesh();
        var calls = 0;
        mesh.Handle("flaky", r => Interlocked.Increment(ref calls) < 3 ? throw new InvalidOperationException($"try {calls} failed") : new { ok = true });
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("retry")
            .AddCommand("flaky", "flaky").WithRetry(3, TimeSpan.FromMilliseconds(10))
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(3, run.Steps[0].Attempts);
        Assert.Equal([$"{run.RunId}:flaky:1", $"{run.RunId}:flaky:2", $"{run.RunId}:flaky:3"], mesh.Ran.Select(r => r.IdempotencyKey));
        var events = await host.EventsOfAsync(run.RunId);
        Assert.Equal(2, events.Count(e => e.Type == WorkflowRunEventTypes.StepRetrying));
        Assert.All(events.Where(e => e.Type == WorkflowRunEventTypes.StepRetrying), e => Assert.NotNull(e.NextAttemptAt));
    }

    [Fact]
    public async Task RetriesExhausted_TheStepFailsNamingTheAttemptsAndTheLastError()
    {
        var mesh = new FakeMesh();
        mesh.Handle("broken", _ => throw new InvalidOperationException("disk full"));
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("exhaust").AddCommand("broken", "broken").WithRetry(2, TimeSpan.FromMilliseconds(5)).Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Equal(2, run.Steps[0].Attempts);
        Assert.Contains("disk full", run.Steps[0].Error, StringComparison.Ordinal);
        Assert.Contains("after 2 attempts", run.Steps[0].Error, StringComparison.Ordinal);
        Assert.Contains("step 'broken' failed", run.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APermanentFailure_IsNotRetried()
    {
        var mesh = new FakeMesh();
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("permanent").AddCommand("missing", "no.such.command").WithRetry(5, TimeSpan.FromMilliseconds(5)).Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Equal(1, run.Steps[0].Attempts);
        Assert.Contains(MeshErrorCodes.UnknownCommand, run.Steps[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStepFailingForGood_CompensatesTheCompletedStepsInReverseOrderOfCompletion()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("reserve", "charge", "undo.reserve", "undo.charge");
        mesh.Handle("ship", _ => throw new InvalidOperationException("no courier"));
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("order")
            .AddCommand("reserve", "reserve").WithCompensation("undo.reserve")
            .AddCommand("charge", "charge").WithCompensation("undo.charge", new { refund = true })
            .AddCommand("ship", "ship")
            .AddCommand("notify", "notify")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Equal(["reserve", "charge", "ship", "undo.charge", "undo.reserve"], mesh.Commands);
        Assert.Equal(
            [WorkflowStepStatus.Compensated, WorkflowStepStatus.Compensated, WorkflowStepStatus.Failed, WorkflowStepStatus.Cancelled],
            run.Steps.Select(s => s.Status));
        Assert.Contains("no courier", run.Reason, StringComparison.Ordinal);
        Assert.Equal($"{run.RunId}:charge:compensate", mesh.Ran[3].IdempotencyKey);
        Assert.True(mesh.Ran[3].Parameters!.Value.GetProperty("refund").GetBoolean());
        var types = (await host.EventsOfAsync(run.RunId)).Select(e => (e.Type, e.StepId)).ToList();
        Assert.True(types.IndexOf((WorkflowRunEventTypes.CompensationSucceeded, "charge")) < types.IndexOf((WorkflowRunEventTypes.CompensationStarted, "reserve")));
    }

    [Fact]
    public async Task AFailedCompensation_EndsTheRunAsCompensationFailedNamingTheStep()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("a", "b");
        mesh.Handle("undo.b", _ => throw new InvalidOperationException("cannot undo b"));
        mesh.Handle("c", _ => throw new InvalidOperationException("c broke"));
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("saga")
            .AddCommand("a", "a").WithCompensation("undo.a")
            .AddCommand("b", "b").WithCompensation("undo.b")
            .AddCommand("c", "c")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.CompensationFailed, run.Status);
        Assert.Contains("compensation of step 'b' failed", run.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot undo b", run.Reason, StringComparison.Ordinal);
        Assert.Equal(WorkflowStepStatus.CompensationFailed, run.Steps[1].Status);
        Assert.DoesNotContain("undo.a", mesh.Commands);
    }

    [Fact]
    public async Task OnFailure_RunsOnceAfterTheCompensations()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("a", "undo.a", "alert");
        mesh.Handle("b", _ => throw new InvalidOperationException("b broke"));
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("alerting")
            .AddCommand("a", "a").WithCompensation("undo.a")
            .AddCommand("b", "b")
            .OnFailure("alert")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Equal(["a", "b", "undo.a", "alert"], mesh.Commands);
    }

    [Fact]
    public async Task Pause_LetsTheRunningStepFinishAndStartsNothingUntilResumed()
    {
        var mesh = new FakeMesh();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("slow", async (_, ct) => { started.SetResult(); await release.Task.WaitAsync(ct); return null; });
        mesh.Succeed("next");
        await using var host = await EngineHost.StartAsync(mesh);
        var run = await host.Engine.StartRunAsync(new WorkflowBuilder("pausable").AddCommand("slow", "slow").AddCommand("next", "next").Build());
        await Wait.ForAsync(started.Task, "the first step to start");

        var paused = await host.Engine.PauseRunAsync(run.RunId, "maintenance window");
        Assert.Equal(WorkflowRunStatus.Paused, paused.Status);
        release.SetResult();
        await Wait.UntilAsync(async () => (await host.Engine.GetRunAsync(run.RunId))!.Steps[0].Status == WorkflowStepStatus.Succeeded, "the running step to finish while paused");
        await host.Engine.PauseRunAsync(run.RunId); // A no-op that returns once the loop handled everything before it.
        var whilePaused = await host.Engine.GetRunAsync(run.RunId);
        Assert.Equal(WorkflowStepStatus.Pending, whilePaused!.Steps[1].Status);
        Assert.DoesNotContain("next", mesh.Commands);

        await host.Engine.ResumeRunAsync(run.RunId);
        var done = await Wait.ForAsync(host.Engine.WaitForRunAsync(run.RunId), "the resumed run to end");
        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        Assert.Equal(["slow", "next"], mesh.Commands);
    }

    [Fact]
    public async Task Cancel_CancelsTheRunningStepsJobAndEveryStepThatDidNotRun()
    {
        var mesh = new FakeMesh();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Succeed("a", "undo.a");
        mesh.Handle("hang", async (_, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            finally
            {
                sawCancel.TrySetResult();
            }

            return null;
        });
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("cancellable")
            .AddCommand("a", "a").WithCompensation("undo.a")
            .AddCommand("hang", "hang")
            .AddCommand("never", "never")
            .Build();
        var run = await host.Engine.StartRunAsync(definition);
        await Wait.ForAsync(started.Task, "the hanging step to start");

        await host.Engine.CancelRunAsync(run.RunId, compensate: false, reason: "operator said so");

        await Wait.ForAsync(sawCancel.Task, "the hanging job to be cancelled");
        var done = await Wait.ForAsync(host.Engine.WaitForRunAsync(run.RunId), "the cancelled run to end");
        Assert.Equal(WorkflowRunStatus.Cancelled, done.Status);
        Assert.Equal("operator said so", done.Reason);
        Assert.Equal([WorkflowStepStatus.Succeeded, WorkflowStepStatus.Cancelled, WorkflowStepStatus.Cancelled], done.Steps.Select(s => s.Status));
        Assert.DoesNotContain("undo.a", mesh.Commands);
        var refused = await Assert.ThrowsAsync<WorkflowRunStateException>(() => host.Engine.ResumeRunAsync(run.RunId));
        Assert.Contains("has ended (cancelled)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelWithCompensation_UndoesTheCompletedSteps()
    {
        var mesh = new FakeMesh();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Succeed("a", "undo.a");
        mesh.Handle("hang", async (_, ct) => { started.SetResult(); await Task.Delay(Timeout.Infinite, ct); return null; });
        await using var host = await EngineHost.StartAsync(mesh);
        var run = await host.Engine.StartRunAsync(new WorkflowBuilder("undo-on-cancel").AddCommand("a", "a").WithCompensation("undo.a").AddCommand("hang", "hang").Build());
        await Wait.ForAsync(started.Task, "the hanging step to start");

        await host.Engine.CancelRunAsync(run.RunId, compensate: true);

        var done = await Wait.ForAsync(host.Engine.WaitForRunAsync(run.RunId), "the run to end");
        Assert.Equal(WorkflowRunStatus.Cancelled, done.Status);
        Assert.Equal(WorkflowStepStatus.Compensated, done.Steps[0].Status);
        Assert.Contains("undo.a", mesh.Commands);
    }

    [Fact]
    public async Task ClassSteps_AreActivatedFromDI_SeeEarlierOutputs_AndConditionsSkip()
    {
        var mesh = new FakeMesh();
        var log = new StepLog();
        await using var host = await EngineHost.StartAsync(mesh, configure: s => s.AddSingletonLog(log));
        var definition = new WorkflowBuilder("classes")
            .AddStep<ProduceNumber>("produce", step => step.Number = 41)
            .AddStep<AddOne>("add")
            .AddStep<AddOne>("skipped").When(context => context.GetOutput<int>("add") > 100)
            .AddStep<AddOne>("after-skip").DependsOn("add")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(42, run.Steps[1].Output!.Value.GetInt32());
        Assert.Equal(WorkflowStepStatus.Skipped, run.Steps[2].Status);
        Assert.Equal("its condition was false", run.Steps[2].Error);
        Assert.Equal(["produce", "add", "after-skip"], log.Steps);
    }

    [Fact]
    public async Task AClassStepThatOverrunsItsTimeout_FailsNamingTheTimeout()
    {
        var mesh = new FakeMesh();
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("slow-class").AddStep<Sleeper>("sleep").WithTimeout(TimeSpan.FromMilliseconds(50)).Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Contains("timed out after 0.05 s", run.Steps[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRunTimeout_FailsTheRunAndCompensates()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("a", "undo.a");
        mesh.Handle("hang", async (_, ct) => { await Task.Delay(Timeout.Infinite, ct); return null; });
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("deadline")
            .WithWorkflowTimeout(TimeSpan.FromMilliseconds(300))
            .AddCommand("a", "a").WithCompensation("undo.a")
            .AddCommand("hang", "hang")
            .Build();

        var run = await host.RunAsync(definition);

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Contains("timed out after 0.3 s", run.Reason, StringComparison.Ordinal);
        Assert.Equal(WorkflowStepStatus.Compensated, run.Steps[0].Status);
    }

    [Fact]
    public async Task FanOut_RunsOnEveryAgentAndAppliesItsPolicy()
    {
        var mesh = new FakeMesh();
        mesh.Handle("probe", r => r.Target!.AgentId == "agent-2" ? throw new InvalidOperationException("agent-2 is sick") : new { agent = r.Target.AgentId });
        await using var host = await EngineHost.StartAsync(mesh);

        var strict = await host.RunAsync(new WorkflowBuilder("strict").AddFanOut("probe", "probe").Build());
        var lenient = await host.RunAsync(new WorkflowBuilder("lenient").AddFanOut("probe", "probe", policy: FanOutFailurePolicy.AllowPartial).Build());

        Assert.Equal(WorkflowRunStatus.Failed, strict.Status);
        Assert.Contains("1 of 3 agents failed", strict.Steps[0].Error, StringComparison.Ordinal);
        Assert.Contains("agent-2", strict.Steps[0].Error, StringComparison.Ordinal);
        Assert.Equal(WorkflowRunStatus.Succeeded, lenient.Status);
        Assert.Equal(3, lenient.Steps[0].Output!.Value.GetArrayLength());
        Assert.Contains($"{lenient.RunId}:probe:1:agent-3", mesh.Ran.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task FanOut_OutputReadByALaterClassStep_AsFanOutAgentResults()
    {
        var mesh = new FakeMesh();
        mesh.Handle("probe", r => r.Target!.AgentId == "agent-2" ? throw new InvalidOperationException("agent-2 is sick") : new { agent = r.Target.AgentId });
        await using var host = await EngineHost.StartAsync(mesh, configure: s => s.AddWorkflowStep<SummarizeProbe>());

        var run = await host.RunAsync(new WorkflowBuilder("aggregate").AddFanOut("probe", "probe", policy: FanOutFailurePolicy.IgnoreFailures).AddStep<SummarizeProbe>().Build());

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        var summary = run.Steps[1].Output!.Value;
        Assert.Equal(["agent-1", "agent-3"], summary.GetProperty("ok").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        var failed = Assert.Single(summary.GetProperty("failed").EnumerateArray()).GetString();
        Assert.StartsWith("agent-2: ", failed, StringComparison.Ordinal);
        Assert.Contains("agent-2 is sick", failed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownWorkflowsAndUnregisteredStepTypes_AreRefused()
    {
        await using var host = await EngineHost.StartAsync(new FakeMesh());

        var unknown = await Assert.ThrowsAsync<WorkflowNotFoundException>(() => host.Engine.StartRunAsync("nope"));
        Assert.Contains("No workflow named 'nope'", unknown.Message, StringComparison.Ordinal);
        var json = """{"name":"classy","steps":[{"id":"x","kind":"class","stepType":"Some.Unknown.Step"}]}""";
        var invalid = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync(WorkflowJson.Deserialize(json)));
        Assert.Contains(invalid.Errors, e => e.Code == WorkflowErrorCodes.UnknownStepType && e.Message.Contains("Some.Unknown.Step", StringComparison.Ordinal));
        var notObject = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync(new WorkflowBuilder("p").AddCommand("a", "a").Build(), JsonDocument.Parse("[1]").RootElement));
        Assert.Contains("must be a JSON object", notObject.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_ARunKeepsItsVersion_AndARegisteredVersionNeverChanges()
    {
        var mesh = new FakeMesh();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Handle("v1.first", async (_, ct) => { started.SetResult(); await release.Task.WaitAsync(ct); return null; });
        mesh.Succeed("v1.second", "v2.only");
        await using var host = await EngineHost.StartAsync(mesh);
        await host.Engine.RegisterAsync(new WorkflowBuilder("app").AddCommand("first", "v1.first").AddCommand("second", "v1.second").Build());
        var v1Run = await host.Engine.StartRunAsync("app");
        await Wait.ForAsync(started.Task, "the v1 run to start");

        Assert.True(await host.Engine.RegisterAsync(new WorkflowBuilder("app").WithVersion(2).AddCommand("only", "v2.only").Build()));
        Assert.False(await host.Engine.RegisterAsync(new WorkflowBuilder("app").WithVersion(2).AddCommand("only", "v2.only").Build()));
        var conflict = await Assert.ThrowsAsync<WorkflowVersionConflictException>(() => host.Engine.RegisterAsync(new WorkflowBuilder("app").AddCommand("other", "x").Build()));
        Assert.Contains("Register it as version 3", conflict.Message, StringComparison.Ordinal);
        release.SetResult();

        var v1Done = await Wait.ForAsync(host.Engine.WaitForRunAsync(v1Run.RunId), "the v1 run to end");
        var v2Done = await host.RunAsync((await host.Engine.Definitions.GetAsync("app"))!);
        Assert.Equal((1, WorkflowRunStatus.Succeeded), (v1Done.Version, v1Done.Status));
        Assert.Equal(["first", "second"], v1Done.Steps.Select(s => s.StepId));
        Assert.Equal((2, WorkflowRunStatus.Succeeded), (v2Done.Version, v2Done.Status));
        var listed = Assert.Single(await host.Engine.Definitions.ListAsync());
        Assert.Equal([1, 2], listed.Versions);
    }

    [Fact]
    public async Task Watch_ReplaysFromTheSequenceAskedFor_AndEndsWithRunFinished()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("a", "b");
        await using var host = await EngineHost.StartAsync(mesh);
        var run = await host.RunAsync(new WorkflowBuilder("watched").AddCommand("a", "a").AddCommand("b", "b").Build());

        var all = await host.EventsOfAsync(run.RunId);
        var tail = new List<WorkflowRunEvent>();
        await foreach (var e in host.Engine.WatchRunAsync(run.RunId, afterSequence: 2))
        {
            tail.Add(e);
        }

        Assert.Equal(WorkflowRunEventTypes.RunStarted, all[0].Type);
        Assert.Equal(WorkflowRunEventTypes.RunFinished, all[^1].Type);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Sequence));
        Assert.Equal(all.Skip(2).Select(e => e.Sequence), tail.Select(e => e.Sequence));
        var listed = await host.Engine.ListRunsAsync(new WorkflowRunQuery { Workflow = "watched" });
        Assert.Equal(WorkflowRunStatus.Succeeded, Assert.Single(listed).Status);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

public sealed class WorkflowParameterTests
{
    [Fact]
    public async Task ARunWithoutARequiredParameter_IsRefusedNamingEachMissingOne()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("deploy");
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("needs").RequireParameters("version", "env").AddCommand("deploy", "deploy").Build();

        var refused = await Assert.ThrowsAsync<WorkflowValidationException>(() => host.Engine.StartRunAsync(definition, OrbitMeshJson.ToElement(new { env = "prod" })));
        var run = await host.RunAsync(definition, new { version = "1", env = "prod" });

        var error = Assert.Single(refused.Errors);
        Assert.Equal((WorkflowErrorCodes.MissingParameter, "The run needs the parameter 'version'."), (error.Code, error.Message));
        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        var json = WorkflowJson.Serialize(definition);
        Assert.Contains("\"requiredParameters\":[\"version\",\"env\"]", json, StringComparison.Ordinal);
        Assert.Equal(["version", "env"], WorkflowJson.Deserialize(json).RequiredParameters);
        Assert.DoesNotContain("requiredParameters", WorkflowJson.Serialize(new WorkflowBuilder("plain").AddCommand("a", "a").Build()), StringComparison.Ordinal);
    }
}
