namespace OrbitMesh.Server.Tests.Recovery;

/// <summary>
/// A server stopped and started again on the same SQLite file keeps every unfinished job, and each
/// completes exactly once: pending ones run, running ones finish on the agent that has them (even
/// when they finish while the server is down).
/// </summary>
public sealed class RecoveryTests
{
    private static string NewDatabase() => Path.Combine(Path.GetTempPath(), "orbitmesh-recovery-" + Guid.NewGuid().ToString("N")[..8], "orbitmesh.db");

    [Fact]
    public async Task PendingJob_SurvivesARestart_AndRuns()
    {
        var db = NewDatabase();
        string jobId;
        await using (var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5), storage: b => b.UseSqlite(db)))
        {
            jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "later", IdempotencyKey = "pending-key" })).Id;
        }

        await using var restarted = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db));
        Assert.Equal(jobId, (await restarted.Mesh.SubmitAsync(new JobRequest { Command = "later", IdempotencyKey = "pending-key" })).Id);
        await using var agent = restarted.NewAgent("late").RegisterHandler("later", _ => "ran after the restart").Build();
        await agent.ConnectAsync();

        await Wait.UntilAsync(async () => (await restarted.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the recovered job to complete");
        Assert.True(restarted.Logs.Contains(2119), "recovery is logged");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunningJob_SurvivesARestart_AndCompletesOnce(bool finishWhileTheServerIsDown)
    {
        var db = NewDatabase();
        var port = FreePort.Next();
        var runs = 0;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await using var agent = server.NewAgent("holder").RegisterHandler("long", async (_, ct) =>
        {
            Interlocked.Increment(ref runs);
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return "finished";
        }).Build();
        await agent.ConnectAsync();
        var jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "long" })).Id;
        // Running on the server is not enough: the acknowledgement's answer must have reached the agent, so wait for the handler itself.
        await Wait.ForAsync(started.Task, "the handler to start");

        await server.DisposeAsync();
        await Wait.UntilAsync(() => agent.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, "the agent to notice the server went away");
        if (finishWhileTheServerIsDown)
        {
            release.SetResult();
            await Wait.UntilAsync(() => agent.PendingCompletions == 1, "the completion to wait in the agent's outbox");
        }

        await using var restarted = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await Wait.UntilAsync(() => agent.IsRegistered, "the agent to reconnect");
        release.TrySetResult();

        await Wait.UntilAsync(async () => (await restarted.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the job to complete");
        var record = (await restarted.Mesh.GetJobAsync(jobId))!;
        Assert.Equal(1, runs);
        Assert.Equal(1, record.Attempt);
        Assert.Equal("finished", record.Result!.Value.GetString());
        await Wait.UntilAsync(() => agent.PendingCompletions == 0, "the agent to drop the confirmed completion");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60)]
    public async Task AgentNotBackYet_IsNotTreatedAsLostDuringTheRestartGracePeriod(int graceSeconds)
    {
        var db = NewDatabase();
        string jobId;
        await using (var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5), storage: b => b.UseSqlite(db)))
        {
            await using (var agent = server.NewAgent("returning").RegisterHandler("late", _ => "ran").Build())
            {
                await agent.ConnectAsync();
            }

            await Wait.UntilAsync(() => server.Registry.GetAgent("returning")?.Status == AgentStatus.Disconnected, "the agent to leave");
            jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "late", Target = AgentTarget.ForAgent("returning") })).Id;
        }

        var noAgentTimeout = TimeSpan.FromMilliseconds(200);
        await using var restarted = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.NoAgentTimeout = noAgentTimeout;
            o.RestartGracePeriod = TimeSpan.FromSeconds(graceSeconds);
        }, storage: b => b.UseSqlite(db));

        if (graceSeconds == 0)
        {
            await Wait.UntilAsync(async () => (await restarted.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Failed, "the job to fail for want of its agent");
            Assert.Equal(MeshErrorCodes.NoAgent, (await restarted.Mesh.GetJobAsync(jobId))!.Error!.Code);
            return;
        }

        // Nothing signals "the no-agent timeout did not fire": let several timeouts' worth of time pass
        // (the dispatcher re-examines waiting jobs every second), then check the job still waits.
        var since = System.Diagnostics.Stopwatch.StartNew();
        await Wait.UntilAsync(() => since.Elapsed > TimeSpan.FromSeconds(1.5), "well past the no-agent timeout");
        Assert.Equal(JobStatus.Pending, (await restarted.Mesh.GetJobAsync(jobId))!.Status);

        await using var back = restarted.NewAgent("returning").RegisterHandler("late", _ => "ran").Build();
        await back.ConnectAsync();
        await Wait.UntilAsync(async () => (await restarted.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the job to run on its returning agent");
    }

    [Fact]
    public async Task AssignedButNotAcknowledged_IsSentAgainAfterARestart()
    {
        var db = NewDatabase();
        var port = FreePort.Next();
        string jobId;
        await using (var server = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db)))
        {
            await using var mute = await ScriptedAgent.ConnectAsync(server, "mute", ["work"]);
            jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "work" })).Id;
            await mute.NextAssignmentAsync();
        }

        await using var restarted = await TestMeshServer.StartAsync(port: port, storage: b => b.UseSqlite(db));
        await using var worker = restarted.NewAgent("worker").RegisterHandler("work", _ => "done").Build();
        await worker.ConnectAsync();

        await Wait.UntilAsync(async () => (await restarted.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the job to complete elsewhere");
        Assert.Equal(2, (await restarted.Mesh.GetJobAsync(jobId))!.Attempt);
    }

    [Fact]
    public async Task FencingTokens_KeepIncreasingAcrossRestarts()
    {
        var db = NewDatabase();
        long before;
        await using (var server = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db)))
        {
            await using var agent = server.NewAgent("a").RegisterHandler("x", _ => 1).Build();
            await agent.ConnectAsync();
            before = (await server.Mesh.GetJobAsync((await server.Mesh.ExecuteAsync(new JobRequest { Command = "x" })).JobId))!.FencingToken;
        }

        await using var restarted = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db));
        await using var again = restarted.NewAgent("a").RegisterHandler("x", _ => 1).Build();
        await again.ConnectAsync();
        var after = (await restarted.Mesh.GetJobAsync((await restarted.Mesh.ExecuteAsync(new JobRequest { Command = "x" })).JobId))!.FencingToken;
        Assert.True(after > before, $"{after} should exceed {before}");
    }

    /// <summary>
    /// Found by the crash-recovery integration test: an agent is selectable as soon as the registry has
    /// it, so a job can be assigned and acknowledged on its new connection while its registration (with
    /// a list of held jobs made before) is still being processed. That job must not be taken away as
    /// "not held" (it would run twice); jobs from an earlier connection that the agent did not list are.
    /// </summary>
    [Fact]
    public async Task ReleaseUnheld_KeepsJobsAssignedOnTheRegisteringConnection_ReleasesOlderOnes()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5));
        await using var agent = await ScriptedAgent.ConnectAsync(server, "registering", ["work"]);
        var jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "work" })).Id;
        var assignment = await agent.NextAssignmentAsync();
        Assert.True((await agent.AckAsync(assignment)).Accepted);
        var jobs = server.Services.GetRequiredService<OrbitMesh.Server.Jobs.JobManager>();

        await jobs.ReleaseUnheldAsync("registering", agent.Registration!.ConnectionId, held: null);
        Assert.Equal(JobStatus.Running, (await server.Mesh.GetJobAsync(jobId))!.Status);

        await jobs.ReleaseUnheldAsync("registering", "an-earlier-connection", held: [new OrbitMesh.Protocol.HeldJob(jobId, assignment.Attempt, assignment.FencingToken)]);
        Assert.Equal(JobStatus.Running, (await server.Mesh.GetJobAsync(jobId))!.Status);

        await jobs.ReleaseUnheldAsync("registering", "an-earlier-connection", held: null);
        var released = (await server.Mesh.GetJobAsync(jobId))!;
        Assert.NotEqual(JobStatus.Running, released.Status);
        Assert.True(released.FencingToken > assignment.FencingToken || released.Status == JobStatus.Pending, $"released job is {released.Status} with token {released.FencingToken}");
    }
}
