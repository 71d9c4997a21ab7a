using System.Collections.Concurrent;
using OrbitMesh.Execution;
using OrbitMesh.Server.Jobs;

namespace OrbitMesh.Server.Tests.Jobs;

/// <summary>Selection, priorities, backpressure, middleware, hooks, fan-out and circuit breaking.</summary>
public sealed class DispatchTests
{
    [Fact]
    public async Task Selection_ByAgentCapabilityAndGroup()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var gpu = server.NewAgent("gpu-1").WithCapabilities("gpu").WithGroups("blue").RegisterHandler("who", _ => "gpu-1").Build();
        await using var cpu = server.NewAgent("cpu-1").WithCapabilities("cpu").WithGroups("green").RegisterHandler("who", _ => "cpu-1").Build();
        await gpu.ConnectAsync();
        await cpu.ConnectAsync();

        Assert.Equal("cpu-1", (await server.Mesh.ExecuteAsync(new JobRequest { Command = "who", Target = AgentTarget.ForAgent("cpu-1") })).GetResult<string>());
        Assert.Equal("gpu-1", (await server.Mesh.ExecuteAsync(new JobRequest { Command = "who", Target = AgentTarget.WithCapability("gpu") })).GetResult<string>());
        Assert.Equal("cpu-1", (await server.Mesh.ExecuteAsync(new JobRequest { Command = "who", Target = AgentTarget.InGroup("green") })).GetResult<string>());
    }

    [Fact]
    public async Task Selection_LeastLoaded_SpreadsWorkAcrossAgents()
    {
        var byAgent = new ConcurrentDictionary<string, int>();
        await using var server = await TestMeshServer.StartAsync();
        var agents = new List<OrbitMesh.Agent.MeshAgent>();
        foreach (var id in new[] { "a", "b" })
        {
            var agent = server.NewAgent(id).WithMaxConcurrentJobs(4).RegisterHandler("work", async (_, ct) =>
            {
                byAgent.AddOrUpdate(id, 1, (_, n) => n + 1);
                await Task.Delay(20, ct);
                return id;
            }).Build();
            await agent.ConnectAsync();
            agents.Add(agent);
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => server.Mesh.ExecuteAsync(new JobRequest { Command = "work" })));

        Assert.Equal(40, byAgent.Values.Sum());
        Assert.All(byAgent.Values, count => Assert.InRange(count, 10, 30));
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Selection_CustomSelector_IsUsed()
    {
        await using var server = await TestMeshServer.StartAsync(services: s => s.AddSingleton<IAgentSelector>(new PreferSelector("b")));
        await using var a = server.NewAgent("a").RegisterHandler("who", _ => "a").Build();
        await using var b = server.NewAgent("b").RegisterHandler("who", _ => "b").Build();
        await a.ConnectAsync();
        await b.ConnectAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => server.Mesh.ExecuteAsync(new JobRequest { Command = "who" })));

        Assert.All(results, r => Assert.Equal("b", r.GetResult<string>()));
    }

    [Fact]
    public async Task Selection_TargetMatchingNoAgent_WaitsThenFails_NeverRunsOnOtherAgents()
    {
        var ran = false;
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromMilliseconds(300));
        await using var agent = server.NewAgent("a").WithCapabilities("cpu").RegisterHandler("work", _ => ran = true).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "work", Target = AgentTarget.WithCapability("gpu") });

        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(MeshErrorCodes.NoAgent, result.Error!.Code);
        Assert.False(ran);
    }

    [Fact]
    public async Task Selection_TargetAgentArrivesWhileTheJobWaits_ItRuns()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.NoAgentTimeout = TimeSpan.FromSeconds(30));
        var job = server.Mesh.ExecuteAsync(new JobRequest { Command = "late", Target = AgentTarget.ForAgent("latecomer") });
        await Wait.UntilAsync(async () => (await server.Mesh.ListJobsAsync(new JobQuery { Command = "late" })).Count == 1, "the job to be recorded");

        await using var agent = server.NewAgent("latecomer").RegisterHandler("late", _ => "arrived").Build();
        await agent.ConnectAsync();

        Assert.Equal("arrived", (await Wait.ForAsync(job, "the job to run on the late agent")).GetResult<string>());
    }

    [Fact]
    public async Task FanOut_ReportsEveryAgentsOutcome_IncludingFailures()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var good = server.NewAgent("good").WithGroups("fleet").RegisterHandler("check", _ => "ok").Build();
        await using var bad = server.NewAgent("bad").WithGroups("fleet").RegisterHandler("check", _ => throw new InvalidOperationException("disk full")).Build();
        await using var outsider = server.NewAgent("outsider").RegisterHandler("check", _ => "should not run").Build();
        await good.ConnectAsync();
        await bad.ConnectAsync();
        await outsider.ConnectAsync();

        var results = await server.Mesh.ExecuteOnAllAsync(new JobRequest { Command = "check", Target = AgentTarget.InGroup("fleet") });

        Assert.Equal(["bad", "good"], results.Select(r => r.AgentId).Order());
        Assert.True(results.Single(r => r.AgentId == "good").IsSuccess);
        Assert.Equal("disk full", results.Single(r => r.AgentId == "bad").Result.Error!.Message);
    }

    [Fact]
    public async Task FanOut_TargetMatchingNoAgent_Throws()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a").RegisterHandler("check", _ => "ok").Build();
        await agent.ConnectAsync();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() =>
            server.Mesh.ExecuteOnAllAsync(new JobRequest { Command = "check", Target = AgentTarget.InGroup("nobody") }));
        Assert.Equal(MeshErrorCodes.NoAgent, error.Code);
    }

    [Fact]
    public async Task Rolling_StopsAfterTheFirstFailingBatch()
    {
        await using var server = await TestMeshServer.StartAsync();
        var agents = new List<OrbitMesh.Agent.MeshAgent>();
        foreach (var id in new[] { "n1", "n2", "n3", "n4" })
        {
            var agent = server.NewAgent(id).RegisterHandler("deploy", _ => id == "n2" ? throw new InvalidOperationException("bad build") : id).Build();
            await agent.ConnectAsync();
            agents.Add(agent);
        }

        var rolling = await server.Mesh.ExecuteRollingAsync(new JobRequest { Command = "deploy" }, batchPercent: 25);

        Assert.False(rolling.Completed);
        Assert.Equal(2, rolling.Batches.Count);
        Assert.Equal(["n3", "n4"], rolling.SkippedAgents);
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task Backpressure_FailFast_RefusesWhenThePendingLimitIsReached()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.MaxPendingJobs = 2;
            o.Jobs.QueueFullMode = QueueFullMode.FailFast;
            o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5);
        });

        // No agent: jobs stay pending.
        await server.Mesh.SubmitAsync(new JobRequest { Command = "x" });
        await server.Mesh.SubmitAsync(new JobRequest { Command = "x" });
        var error = await Assert.ThrowsAsync<MeshQueueFullException>(() => server.Mesh.SubmitAsync(new JobRequest { Command = "x" }));
        Assert.True(error.IsRetryable);
        Assert.NotNull(error.RetryAfter);
    }

    [Fact]
    public async Task Backpressure_Wait_TheSubmitterWaitsForRoom()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.MaxPendingJobs = 1;
            o.Jobs.NoAgentTimeout = TimeSpan.FromMinutes(5);
        });

        var first = await server.Mesh.SubmitAsync(new JobRequest { Command = "x" });
        var second = server.Mesh.SubmitAsync(new JobRequest { Command = "x" });
        Assert.False(second.IsCompleted);

        await server.Mesh.CancelJobAsync(first.Id);
        Assert.Equal(JobStatus.Pending, (await Wait.ForAsync(second, "the waiting submit to get room")).Status);
    }

    [Fact]
    public async Task PriorityQueue_ServesHighFirst_AndNeverStarvesLow()
    {
        var queue = new DispatchQueue(1000);
        foreach (var (id, priority) in Enumerable.Range(0, 100).SelectMany(i => new[] { ($"h{i}", JobPriority.High), ($"n{i}", JobPriority.Normal), ($"l{i}", JobPriority.Low) }))
        {
            await queue.EnqueueAsync(id, priority, CancellationToken.None);
        }

        var first70 = new List<string>();
        for (var i = 0; i < 70; i++)
        {
            first70.Add(await queue.DequeueAsync(CancellationToken.None));
        }

        var highs = first70.Count(id => id[0] == 'h');
        var normals = first70.Count(id => id[0] == 'n');
        var lows = first70.Count(id => id[0] == 'l');
        Assert.True(highs > normals && normals > lows, $"high {highs}, normal {normals}, low {lows}");
        Assert.True(lows >= 9, $"low priority got only {lows} of 70 turns");
    }

    [Fact]
    public async Task Middleware_OnTheServer_SeesEachDispatchAndItsOutcome_AndCanRefuse()
    {
        var seen = new ConcurrentQueue<string>();
        await using var server = await TestMeshServer.StartAsync(
            o => o.UseMiddleware<RecordingMiddleware>(),
            services: s => s.AddSingleton(seen));
        await using var agent = server.NewAgent("a").RegisterHandler("allowed", _ => "yes").RegisterHandler("forbidden", _ => "should not run").Build();
        await agent.ConnectAsync();

        var allowed = await server.Mesh.ExecuteAsync(new JobRequest { Command = "allowed" });
        var forbidden = await server.Mesh.ExecuteAsync(new JobRequest { Command = "forbidden" });

        Assert.Equal(JobStatus.Completed, allowed.Status);
        Assert.Equal(JobStatus.Failed, forbidden.Status);
        Assert.Equal(MeshErrorCodes.NotAllowed, forbidden.Error!.Code);
        Assert.Contains("before allowed on a", seen);
        Assert.Contains("refused forbidden", seen);

        // The "after" part runs once the attempt ended, alongside the caller learning the (already recorded) outcome.
        await Wait.UntilAsync(() => seen.Contains("after allowed: Completed"), "the middleware to see the outcome");
    }

    [Fact]
    public async Task Middleware_OnTheAgent_WrapsTheHandler()
    {
        var seen = new ConcurrentQueue<string>();
        await using var server = await TestMeshServer.StartAsync();
        var services = new ServiceCollection().AddSingleton(seen).BuildServiceProvider();
        await using var agent = server.NewAgent("a").WithServices(services).UseMiddleware<RecordingMiddleware>()
            .RegisterHandler("allowed", _ => "yes").Build();
        await agent.ConnectAsync();

        await server.Mesh.ExecuteAsync(new JobRequest { Command = "allowed" });
        await server.Mesh.InvokeAsync<string>("a", "allowed");

        Assert.Equal(2, seen.Count(s => s == "before allowed on a"));
        Assert.Contains("after allowed: Completed", seen);
    }

    [Fact]
    public async Task Hooks_AgentAndJobEventsAreRaised()
    {
        var events = new ConcurrentQueue<string>();
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.OnAgentConnected += (_, agent) => events.Enqueue("connected " + agent.Id);
            o.OnAgentDisconnected += (_, agent) => events.Enqueue("disconnected " + agent.Id);
            o.OnJobCompleted += (_, job) => events.Enqueue($"completed {job.Command} in {job.Duration?.TotalMilliseconds >= 0}");
            o.OnJobFailed += (_, job) => events.Enqueue($"failed {job.Command}: {job.Error?.Message}");
        });
        var agent = server.NewAgent("hooked").RegisterHandler("ok", _ => 1).RegisterHandler("bad", _ => throw new InvalidOperationException("nope")).Build();
        await agent.ConnectAsync();
        await server.Mesh.ExecuteAsync(new JobRequest { Command = "ok" });
        await server.Mesh.ExecuteAsync(new JobRequest { Command = "bad" });
        await agent.DisposeAsync();

        await Wait.UntilAsync(() => events.Contains("disconnected hooked"), "the disconnect hook");
        Assert.Contains("connected hooked", events);
        Assert.Contains("completed ok in True", events);
        Assert.Contains("failed bad: nope", events);
    }

    [Fact]
    public async Task OnJobEvent_IsRaisedForEachStoredEvent_InOrder_WithOrWithoutWatchers()
    {
        var seen = new ConcurrentQueue<JobEvent>();
        await using var server = await TestMeshServer.StartAsync(o => o.OnJobEvent += (_, e) => seen.Enqueue(e));
        var agent = server.NewAgent("reporter").RegisterHandler("steps", async (command, cancellationToken) =>
        {
            await command.ReportProgressAsync(40, "almost half", cancellationToken);
            return 1;
        }).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "steps", Pattern = ExecutionPattern.LongRunning });

        Assert.Equal(JobStatus.Completed, result.Status);
        await Wait.UntilAsync(() => seen.Any(e => e.JobId == result.JobId && e.IsFinal), "the final event was raised");
        var raised = seen.Where(e => e.JobId == result.JobId).ToList();
        var stored = await server.Services.GetRequiredService<OrbitMesh.Storage.IJobStore>().GetEventsAsync(result.JobId);
        Assert.Equal(stored.Select(e => e.Sequence), raised.Select(e => e.Sequence));
        Assert.Contains(raised, e => e.Type == JobEventType.Progress && e.Percent == 40 && e.Message == "almost half");
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task CircuitBreaker_AnAgentThatNeverAcknowledges_IsTakenOutOfSelection()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.AckTimeout = TimeSpan.FromMilliseconds(100);
            o.Jobs.LeaseDuration = TimeSpan.FromMilliseconds(100);
            o.Resilience.MinimumThroughput = 2;
            o.Resilience.FailureRatio = 0.5;
            o.Resilience.BreakDuration = TimeSpan.FromSeconds(30);
        });
        await using var flapping = await ScriptedAgent.ConnectAsync(server, "flapping", ["work"]);

        // Two deliveries time out on the mute agent.
        _ = await server.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        await flapping.NextAssignmentAsync("the first delivery");
        await flapping.NextAssignmentAsync("the second delivery after the exclusion ends");

        await Wait.UntilAsync(() => server.Registry.GetAgent("flapping")!.Circuit == AgentCircuitState.Open, "the circuit to open");
        await using var healthy = server.NewAgent("healthy").RegisterHandler("work", _ => "healthy").Build();
        await healthy.ConnectAsync();

        Assert.Equal("healthy", (await server.Mesh.ExecuteAsync(new JobRequest { Command = "work" })).GetResult<string>());
        Assert.True(server.Logs.Contains(2070), "the circuit opening is logged");
    }

    private sealed class PreferSelector(string agentId) : IAgentSelector
    {
        public IEnumerable<AgentCandidate> Rank(JobRecord job, IReadOnlyList<AgentCandidate> candidates) =>
            candidates.Where(c => c.Agent.Id == agentId);
    }

    private sealed class RecordingMiddleware(ConcurrentQueue<string> seen) : IMeshMiddleware
    {
        public async Task InvokeAsync(MeshContext context, MeshDelegate next)
        {
            if (context.Command == "forbidden")
            {
                seen.Enqueue("refused " + context.Command);
                context.Result = new JobResult { JobId = context.JobId, Status = JobStatus.Failed, Error = new JobError(MeshErrorCodes.NotAllowed, "not on my watch") };
                return;
            }

            seen.Enqueue($"before {context.Command} on {context.AgentId}");
            await next(context);
            seen.Enqueue($"after {context.Command}: {context.Result?.Status}");
        }
    }
}
