using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Workflows;

namespace OrbitMesh.Client.Tests;

/// <summary>The workflow API level, remote (MeshHttpClient over REST) and in-process (IWorkflowClient), against a real server and agent.</summary>
public sealed class MeshHttpClientWorkflowTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestMeshServer _server = null!;
    private MeshAgent _agent = null!;
    private MeshHttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o => o.ApiKey = "workflow-test-key", services: s => s.AddOrbitMeshWorkflows());
        _agent = _server.NewAgent("wf-agent")
            .RegisterHandler("add", c => c.GetParameter<int>("a") + c.GetParameter<int>("b"))
            .RegisterHandler("token-length", c => c.GetParameter<string>("token").Length)
            .RegisterHandler("hold", async (_, ct) =>
            {
                await _release.Task.WaitAsync(ct);
                return "released";
            })
            .Build();
        await _agent.ConnectAsync();
        _client = new MeshHttpClient(_server.Url, "workflow-test-key");
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        _client.Dispose();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task ExecuteWorkflowAsync_OnTheRemoteMeshClient_RunsTheSeedsCall()
    {
        IMeshClient mesh = _client;
        var definition = new WorkflowBuilder("sum").AddCommand("first", "add", new { a = 1 }).AddCommand("second", "add", new { a = 10 }).Build();

        var run = await mesh.ExecuteWorkflowAsync(definition, new { b = 5 });

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal([6, 15], run.Steps.Select(s => s.Output!.Value.GetInt32()));
        var again = await mesh.ExecuteWorkflowAsync("sum", new { b = 1 });
        Assert.Equal([2, 11], again.Steps.Select(s => s.Output!.Value.GetInt32()));
        var listed = await _client.ListWorkflowRunsAsync(new WorkflowRunQuery { Workflow = "sum", Status = WorkflowRunStatus.Succeeded });
        Assert.Equal([again.RunId, run.RunId], listed.Select(r => r.RunId));
    }

    [Fact]
    public async Task ExecuteWorkflowAsync_WithSecrets_OverRest_GivesTheStepTheValue_AndTheRunOnlyTheirNames()
    {
        const string token = "remote-secret-token-42";
        await _client.RegisterWorkflowAsync(WorkflowJson.Deserialize("""
            { "name": "remote-secret", "steps": [ { "id": "use", "command": "token-length", "parameters": { "token": "${{ secrets.token }}" } } ] }
            """));

        var run = await _client.ExecuteWorkflowAsync("remote-secret", null, new Dictionary<string, string> { ["token"] = token });

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(token.Length, run.Steps[0].Output!.Value.GetInt32());
        Assert.Equal(["token"], run.SecretNames);
        Assert.DoesNotContain(token, System.Text.Json.JsonSerializer.Serialize(run, OrbitMeshJson.Options), StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<MeshValidationException>(() => _client.StartWorkflowAsync("remote-secret", null, null, null));
        Assert.Contains("secret 'token'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteWorkflowAsync_OnAMeshHttpClientVariable_CompilesAndRuns()
    {
        // Both IMeshClient's and IWorkflowClient's extensions apply to MeshHttpClient: the instance methods decide.
        var run = await _client.ExecuteWorkflowAsync(new WorkflowBuilder("typed").AddCommand("only", "add", new { a = 4 }).Build(), new { b = 3 });
        var again = await _client.ExecuteWorkflowAsync("typed", new { b = 10 });

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(7, run.Steps.Single().Output!.Value.GetInt32());
        Assert.Equal(14, again.Steps.Single().Output!.Value.GetInt32());
    }

    [Fact]
    public async Task ScheduleWorkflowAsync_OverRest_FiresOnItsCronAndIsListedGotAndDeleted()
    {
        await _client.RegisterWorkflowAsync(new WorkflowBuilder("ticked").AddCommand("only", "add", new { a = 1 }).Build());

        var saved = await _client.ScheduleWorkflowAsync("every-second", "* * * * * *", "ticked", new { b = 41 });

        Assert.Equal(new SavedTrigger("every-second", true, null), saved);
        await Wait.UntilAsync(async () => (await _client.GetTriggerAsync("every-second"))!.Runs >= 1, "the cron trigger to start a run", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));
        var info = Assert.Single(await _client.ListTriggersAsync());
        Assert.Equal(WorkflowTriggerKind.Cron, info.Trigger.Kind);
        Assert.Equal("* * * * * *", info.Trigger.Schedule);
        var run = await _client.WaitForWorkflowRunAsync(info.LastRunId!);
        Assert.Equal(42, run.Steps.Single().Output!.Value.GetInt32());
        Assert.Equal("every-second", run.Parameters!.Value.GetProperty("trigger").GetProperty("name").GetString());

        await Assert.ThrowsAnyAsync<OrbitMeshException>(() => _client.ScheduleWorkflowAsync("never", "0 0 30 2 *", "ticked"));
        Assert.True(await _client.DeleteTriggerAsync("every-second"));
        Assert.Null(await _client.GetTriggerAsync("every-second"));
        Assert.False(await _client.DeleteTriggerAsync("every-second"));
    }

    [Fact]
    public async Task PauseResumeAndWatch_OverRest_MatchTheEngine()
    {
        var definition = new WorkflowBuilder("held").AddCommand("hold", "hold").AddCommand("after", "add", new { a = 1, b = 2 }).Build();
        var run = await _client.StartWorkflowAsync(definition);
        await Wait.UntilAsync(async () => (await _client.GetWorkflowRunAsync(run.RunId))!.Steps[0].Status == WorkflowStepStatus.Running, "the held step to run");

        var paused = await _client.PauseWorkflowRunAsync(run.RunId, "hold on");
        Assert.Equal(WorkflowRunStatus.Paused, paused.Status);
        _release.SetResult();
        await Wait.UntilAsync(async () => (await _client.GetWorkflowRunAsync(run.RunId))!.Steps[0].Status == WorkflowStepStatus.Succeeded, "the held step to finish while paused");
        Assert.Equal(WorkflowStepStatus.Pending, (await _client.GetWorkflowRunAsync(run.RunId))!.Steps[1].Status);
        await _client.ResumeWorkflowRunAsync(run.RunId);
        var done = await Wait.ForAsync(_client.WaitForWorkflowRunAsync(run.RunId), "the run to end");

        Assert.Equal(WorkflowRunStatus.Succeeded, done.Status);
        var tail = new List<WorkflowRunEvent>();
        await foreach (var e in _client.WatchWorkflowRunAsync(run.RunId, afterSequence: done.LastSequence - 2))
        {
            tail.Add(e);
        }

        Assert.Equal([done.LastSequence - 1, done.LastSequence], tail.Select(e => e.Sequence));
        Assert.Equal(WorkflowRunEventTypes.RunFinished, tail[^1].Type);
        var refused = await Assert.ThrowsAsync<WorkflowRunStateException>(() => _client.PauseWorkflowRunAsync(run.RunId));
        Assert.Contains("has ended (succeeded)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_ComeBackAsTheEnginesExceptions()
    {
        await Assert.ThrowsAsync<WorkflowNotFoundException>(() => _client.StartWorkflowAsync("no-such-workflow"));
        Assert.Null(await _client.GetWorkflowRunAsync("wfr_nope"));
        await _client.RegisterWorkflowAsync(new WorkflowBuilder("fixed").AddCommand("a", "add").Build());
        var conflict = await Assert.ThrowsAsync<WorkflowVersionConflictException>(() => _client.RegisterWorkflowAsync(new WorkflowBuilder("fixed").AddCommand("b", "add").Build()));
        Assert.Contains("Register it as version 2", conflict.Message, StringComparison.Ordinal);
        var coded = new WorkflowBuilder("coded").AddCommand("a", "add").When(_ => true).Build();
        await Assert.ThrowsAsync<NotSupportedException>(() => _client.StartWorkflowAsync(coded));
    }

    [Fact]
    public async Task TheInProcessWorkflowClient_RunsTheSameWorkflows()
    {
        var workflows = _server.Services.GetRequiredService<IWorkflowClient>();

        var run = await workflows.ExecuteWorkflowAsync(new WorkflowBuilder("local").AddCommand("add", "add", new { a = 2, b = 3 }).Build());

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(5, run.Steps[0].Output!.Value.GetInt32());
        Assert.Equal(WorkflowRunStatus.Succeeded, (await _client.GetWorkflowRunAsync(run.RunId))!.Status);
        var notAWorkflowClient = await Assert.ThrowsAsync<NotSupportedException>(() => _server.Mesh.ExecuteWorkflowAsync("local"));
        Assert.Contains("inject IWorkflowClient", notAWorkflowClient.Message, StringComparison.Ordinal);
    }
}
