using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Tests.Jobs;

/// <summary>
/// "Run the same job twice" is the most reported defect of job systems. These tests stage the cases:
/// a lease that lapses while the first agent is merely slow, and its late result; a lost
/// acknowledgement; long jobs kept alive by heartbeats; duplicate deliveries.
/// </summary>
public sealed class LeaseAndFencingTests
{
    private static readonly Action<OrbitMeshServerOptions> FastLeases = o =>
    {
        o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        o.Jobs.LeaseDuration = TimeSpan.FromMilliseconds(600);
        o.Jobs.AckTimeout = TimeSpan.FromMilliseconds(400);
    };

    [Fact]
    public async Task LeaseLapses_JobGoesToAnotherAgent_AndTheLateResultIsRejectedNotRecorded()
    {
        await using var server = await TestMeshServer.StartAsync(FastLeases);
        await using var slow = await ScriptedAgent.ConnectAsync(server, "slow", ["work"]);

        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var first = await slow.NextAssignmentAsync("the job to reach the slow agent");
        Assert.True((await slow.AckAsync(first)).Accepted);

        // The slow agent says nothing more: its lease lapses and the job is pending again.
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.Status == JobStatus.Pending, "the lease to lapse");

        await using var fast = await ScriptedAgent.ConnectAsync(server, "fast", ["work"]);
        var second = await fast.NextAssignmentAsync("the job to reach the fast agent");
        Assert.Equal(2, second.Attempt);
        Assert.NotEqual(first.FencingToken, second.FencingToken);
        Assert.True((await fast.AckAsync(second)).Accepted);
        Assert.True((await fast.CompleteAsync(second, new { by = "fast" })).Accepted);

        // Now the slow agent finally reports: every report carries the old token and is refused.
        var late = await slow.CompleteAsync(first, new { by = "slow" });
        Assert.False(late.Accepted);
        Assert.Equal(JobReportCodes.Stale, late.Code);
        Assert.True(late.Stop);
        Assert.False((await slow.ProgressAsync(first, 50)).Accepted);

        var final = (await server.Mesh.GetJobAsync(job.Id))!;
        Assert.Equal(JobStatus.Completed, final.Status);
        Assert.Equal("fast", final.AgentId);
        Assert.Equal("fast", final.Result!.Value.GetProperty("by").GetString());
        Assert.True(server.Logs.Contains(2114), "the lease lapse is logged");
        Assert.True(server.Logs.Contains(2118), "the stale report is logged");
        Assert.Contains(slow.Cancellations, c => c.JobId == job.Id && c.FencingToken == first.FencingToken);
    }

    [Fact]
    public async Task LateResultWhileTheJobWaitsForReassignment_IsNotRecorded()
    {
        await using var server = await TestMeshServer.StartAsync(FastLeases);
        await using var slow = await ScriptedAgent.ConnectAsync(server, "slow", ["work"]);
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var first = await slow.NextAssignmentAsync();
        await slow.AckAsync(first);
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.Status == JobStatus.Pending, "the lease to lapse");

        var late = await slow.CompleteAsync(first, "too late");
        Assert.False(late.Accepted);

        var record = (await server.Mesh.GetJobAsync(job.Id))!;
        Assert.NotEqual(JobStatus.Completed, record.Status);
        Assert.Null(record.Result);
    }

    [Fact]
    public async Task LongJob_HeartbeatsKeepItsLease_ItRunsOnce()
    {
        var runs = 0;
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.Jobs.LeaseDuration = TimeSpan.FromMilliseconds(1000);
        });
        await using var agent = server.NewAgent("steady")
            .RegisterHandler("long", async (_, ct) =>
            {
                Interlocked.Increment(ref runs);
                await Task.Delay(TimeSpan.FromMilliseconds(3000), ct); // three lease durations, no progress reports
                return "done";
            })
            .Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "long" });

        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(1, runs);
        Assert.False(server.Logs.Contains(2114), "no lease lapsed");
    }

    [Fact]
    public async Task NoAcknowledgement_JobIsReassigned_AndTheLateAckIsRefused()
    {
        await using var server = await TestMeshServer.StartAsync(FastLeases);
        await using var mute = await ScriptedAgent.ConnectAsync(server, "mute", ["work"]);
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var first = await mute.NextAssignmentAsync();

        await using var other = await ScriptedAgent.ConnectAsync(server, "other", ["work"]);
        var second = await other.NextAssignmentAsync("the reassignment after the acknowledgement timeout");
        Assert.Equal(2, second.Attempt);

        var lateAck = await mute.AckAsync(first);
        Assert.False(lateAck.Accepted, "a late acknowledgement must not start a second run");
        Assert.True((await other.AckAsync(second)).Accepted);
        Assert.True((await other.CompleteAsync(second, 1)).Accepted);
        Assert.Equal(JobStatus.Completed, (await server.Mesh.GetJobAsync(job.Id))!.Status);
        Assert.True(server.Logs.Contains(2111), "the acknowledgement timeout is logged");
    }

    [Fact]
    public async Task DuplicateDelivery_TheAgentRunsTheSameJobAndAttemptOnce()
    {
        var runs = 0;
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("once")
            .RegisterHandler("count", (_, _) =>
            {
                Interlocked.Increment(ref runs);
                return Task.FromResult<object?>(runs);
            })
            .Build();
        await agent.ConnectAsync();
        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "count" });
        Assert.Equal(JobStatus.Completed, result.Status);

        // Replay the exact assignment the agent already ran, as a duplicated message would.
        var record = (await server.Mesh.GetJobAsync(result.JobId))!;
        var hub = server.Services.GetRequiredService<Microsoft.AspNetCore.SignalR.IHubContext<OrbitMesh.Server.Hubs.AgentHub, IAgentClient>>();
        var registry = (OrbitMesh.Server.Agents.AgentRegistry)server.Registry;
        Assert.True(registry.TryGetConnectionId("once", out var connectionId));
        await hub.Clients.Client(connectionId).AssignJob(new JobAssignment
        {
            JobId = record.Id,
            Attempt = record.Attempt,
            FencingToken = record.FencingToken,
            Command = "count",
        });

        // A different job afterwards proves the agent processed the duplicate in order (and ignored it).
        Assert.Equal(JobStatus.Completed, (await server.Mesh.ExecuteAsync(new JobRequest { Command = "count" })).Status);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task Refusal_UnknownCommandByTheOnlyAgent_FailsWithThatReason()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server, "picky", ["work"]);
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var assignment = await agent.NextAssignmentAsync();
        await agent.NackAsync(assignment, MeshErrorCodes.UnknownCommand, "no such handler here");

        var final = await Wait.ForAsync(WaitFinalAsync(server, job.Id), "the job to fail");
        Assert.Equal(JobStatus.Failed, final.Status);
        Assert.Equal(MeshErrorCodes.UnknownCommand, final.Error!.Code);
        Assert.Contains("no such handler here", final.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusal_Busy_GoesToAnotherAgent()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var busy = await ScriptedAgent.ConnectAsync(server, "busy", ["work"]);
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var first = await busy.NextAssignmentAsync();
        await using var free = await ScriptedAgent.ConnectAsync(server, "free", ["work"]);
        Assert.True((await busy.NackAsync(first, MeshErrorCodes.Busy)).Accepted);

        var second = await free.NextAssignmentAsync("the job to go to the free agent");
        Assert.Equal(job.Id, second.JobId);
        await free.AckAsync(second);
        await free.CompleteAsync(second, "ok");
        Assert.Equal("free", (await WaitFinalAsync(server, job.Id)).AgentId);
    }

    [Fact]
    public async Task StreamedItems_ResentAfterAReconnect_AreDeliveredOnce()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server, "streamer", ["numbers"]);
        var items = new List<int>();
        var reading = Task.Run(async () =>
        {
            await foreach (var n in server.Mesh.StreamAsync<int>(new JobRequest { Command = "numbers" }))
            {
                items.Add(n);
            }
        });

        var assignment = await agent.NextAssignmentAsync();
        await agent.AckAsync(assignment);
        Assert.True((await agent.ItemsAsync(assignment, 0, 1, 2, 3)).Accepted);
        Assert.True((await agent.ItemsAsync(assignment, 2, 3, 4)).Accepted, "an overlapping resend is accepted");
        Assert.False((await agent.ItemsAsync(assignment, 9, 10)).Accepted, "a gap is refused");
        Assert.True((await agent.CompleteAsync(assignment, null, itemCount: 4)).Accepted);
        await Wait.ForAsync(reading, "the stream to end");

        Assert.Equal([1, 2, 3, 4], items);
    }

    private static async Task<JobRecord> WaitFinalAsync(TestMeshServer server, string jobId)
    {
        JobRecord? record = null;
        await Wait.UntilAsync(async () => (record = await server.Mesh.GetJobAsync(jobId))?.IsFinal == true, $"job {jobId} to end");
        return record!;
    }
}
