using System.Text.Json;
using OrbitMesh.Server.Storage;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>The engine over event histories checked in under Runtime/Histories (recorded by the engine itself).</summary>
public sealed class WorkflowReplayTests
{
    [Fact]
    public void AFinishedSaga_FoldsToTheStateTheEngineHadAtTheEnd()
    {
        var (runId, events) = Load("saga-failed-and-compensated.json");

        var state = WorkflowRunState.Replay(runId, events);
        var run = state.ToRun();

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        Assert.Equal(("order", 1), (run.Workflow, run.Version));
        Assert.Equal(7, run.Parameters!.Value.GetProperty("order").GetInt32());
        Assert.Equal(
            [("reserve", WorkflowStepStatus.Compensated, 1), ("charge", WorkflowStepStatus.Compensated, 1), ("ship", WorkflowStepStatus.Failed, 2), ("notify", WorkflowStepStatus.Cancelled, 0)],
            run.Steps.Select(s => (s.StepId, s.Status, s.Attempts)));
        Assert.Equal(["reserve", "charge"], state.CompletionOrder);
        Assert.Contains("no courier", run.Reason, StringComparison.Ordinal);
        Assert.NotNull(run.FinishedAt);
        Assert.Equal(events.Count, run.LastSequence);
    }

    [Fact]
    public async Task AHistoryCutOffMidRun_IsResumed_RunningOnlyWhatHadNotFinished()
    {
        var (runId, events) = Load("parallel-branch-in-flight.json");
        var store = new InMemoryEventStore(TimeProvider.System);
        await SeedAsync(store, runId, events);
        var mesh = new FakeMesh();
        mesh.Succeed("reserve", "charge", "slow");

        await using var host = await EngineHost.StartAsync(mesh, store);
        var done = await Wait.ForAsync(host.Engine.WaitForRunAsync(runId), "the replayed run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        // validate and node-a had succeeded: only node-b (its attempt 1, under its original key) and health run.
        Assert.Equal([$"{runId}:node-b:1", $"{runId}:health:1"], mesh.Ran.Select(r => r.IdempotencyKey));
        Assert.Equal("job-7", done.Steps[0].JobId);
    }

    [Fact]
    public async Task AHistoryNamingAStepItsDefinitionLacks_IsRefused()
    {
        var (runId, events) = Load("step-missing-from-definition.json");

        var refused = Assert.Throws<WorkflowReplayException>(() => WorkflowRunState.Replay(runId, events));
        Assert.Contains("names the step 'node-a', which its definition does not have", refused.Message, StringComparison.Ordinal);

        var store = new InMemoryEventStore(TimeProvider.System);
        await SeedAsync(store, runId, events);
        var mesh = new FakeMesh();
        await using var host = await EngineHost.StartAsync(mesh, store);
        Assert.Empty(mesh.Asked);
        Assert.Equal(0, host.Engine.ActiveRunCount);
        Assert.Equal(WorkflowRunStatus.Failed, Assert.Single(await host.Engine.ListRunsAsync(new WorkflowRunQuery())).Status);
    }

    [Fact]
    public void AHistoryThatDoesNotStartWithRunStarted_IsRefused()
    {
        var (runId, events) = Load("saga-failed-and-compensated.json");

        var refused = Assert.Throws<WorkflowReplayException>(() => WorkflowRunState.Replay(runId, events.Skip(1)));
        Assert.Contains("starts with 'step.started'", refused.Message, StringComparison.Ordinal);
    }

    private static (string RunId, IReadOnlyList<WorkflowRunEvent> Events) Load(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Runtime", "Histories", file)));
        var runId = document.RootElement.GetProperty("runId").GetString()!;
        var events = document.RootElement.GetProperty("events").Deserialize<List<WorkflowRunEvent>>(OrbitMeshJson.Options)!;
        return (runId, events);
    }

    private static async Task SeedAsync(InMemoryEventStore store, string runId, IReadOnlyList<WorkflowRunEvent> events)
    {
        var runs = new WorkflowRunStore(store);
        var started = events[0];
        await runs.IndexCreatedAsync(new WorkflowRunSummary { RunId = runId, Workflow = started.Definition!.Value.GetProperty("name").GetString()!, Version = 1, StartedAt = started.Timestamp }, CancellationToken.None);
        await runs.AppendAsync(runId, 0, events, CancellationToken.None);
    }
}
