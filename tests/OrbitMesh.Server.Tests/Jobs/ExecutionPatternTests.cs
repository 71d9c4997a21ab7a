using System.Text.Json;
using OrbitMesh.Agent;

namespace OrbitMesh.Server.Tests.Jobs;

/// <summary>The five execution patterns, cancellation, timeouts and retries, in-process against real agents.</summary>
public sealed class ExecutionPatternTests
{
    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value, OrbitMeshJson.Options);

    [Fact]
    public async Task RequestResponse_ReturnsTheHandlersResult()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("double", c => c.GetParameter<int>("n") * 2).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "double", Parameters = Json(new { n = 21 }) });

        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal(42, result.GetResult<int>());
        Assert.Equal("a1", result.AgentId);
    }

    [Fact]
    public async Task FireAndForget_SubmitReturnsAtOnce_TheJobStillRuns()
    {
        var ran = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("note", c =>
        {
            ran.TrySetResult(c.GetParameter<string>("text"));
            return null;
        }).Build();
        await agent.ConnectAsync();

        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "note", Pattern = ExecutionPattern.FireAndForget, Parameters = Json(new { text = "hi" }) });

        Assert.False(job.IsFinal);
        Assert.Equal("hi", await Wait.ForAsync(ran.Task, "the handler to run"));
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.Status == JobStatus.Completed, "the job to complete");
    }

    [Fact]
    public async Task Streaming_ItemsArriveAsAnAsyncEnumerable()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("count", Count).Build();
        await agent.ConnectAsync();

        var items = new List<int>();
        await foreach (var item in server.Mesh.StreamAsync<int>(new JobRequest { Command = "count", Parameters = Json(new { n = 1000 }) }))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(1, 1000), items);
    }

    [Fact]
    public async Task Streaming_HandlerFailsMidway_TheCallerGetsTheErrorAfterTheItemsSoFar()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("broken", Broken).Build();
        await agent.ConnectAsync();

        var items = new List<int>();
        var error = await Assert.ThrowsAsync<MeshInvocationException>(async () =>
        {
            await foreach (var item in server.Mesh.StreamAsync<int>(new JobRequest { Command = "broken" }))
            {
                items.Add(item);
            }
        });

        Assert.Equal([1, 2, 3], items);
        Assert.Contains("stream broke", error.Message, StringComparison.Ordinal);

        static async IAsyncEnumerable<object?> Broken(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            for (var i = 1; i <= 3; i++)
            {
                await Task.Yield();
                yield return i;
            }

            throw new InvalidOperationException("stream broke");
        }
    }

    [Fact]
    public async Task Streaming_CallerStopsEarly_TheJobIsCancelledOnTheAgent()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("endless", (c, ct) => Endless(ct, cancelled)).Build();
        await agent.ConnectAsync();

        await foreach (var item in server.Mesh.StreamAsync<int>(new JobRequest { Command = "endless" }))
        {
            if (item == 5)
            {
                break;
            }
        }

        await Wait.ForAsync(cancelled.Task, "the handler's token to fire");

        static async IAsyncEnumerable<object?> Endless([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, TaskCompletionSource cancelled)
        {
            using var registration = ct.Register(() => cancelled.TrySetResult());
            for (var i = 1; ; i++)
            {
                await Task.Delay(5, ct);
                yield return i;
            }
        }
    }

    [Fact]
    public async Task InputStream_TheCallersItemsReachTheHandler()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("upper", Upper).Build();
        await agent.ConnectAsync();

        var output = new List<string>();
        await foreach (var word in server.Mesh.StreamAsync<string, string>(new JobRequest { Command = "upper" }, Words(300)))
        {
            output.Add(word);
        }

        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"WORD{i}"), output);

        static async IAsyncEnumerable<object?> Upper(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var word in command.ReadInputAsync<string>(ct))
            {
                yield return word.ToUpperInvariant();
            }
        }

        static async IAsyncEnumerable<string> Words(int n)
        {
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
                yield return $"word{i}";
            }
        }
    }

    [Fact]
    public async Task LongRunning_ProgressThenResult()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("steps", async (c, ct) =>
        {
            for (var step = 1; step <= 4; step++)
            {
                await c.ReportProgressAsync(step * 25, $"step {step}", ct);
            }

            return "all steps";
        }).Build();
        await agent.ConnectAsync();

        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "steps", Pattern = ExecutionPattern.LongRunning });
        var progress = new List<double>();
        JobEvent? final = null;
        await foreach (var jobEvent in server.Mesh.WatchJobAsync(job.Id))
        {
            if (jobEvent.Type == JobEventType.Progress)
            {
                progress.Add(jobEvent.Percent!.Value);
            }

            final = jobEvent;
        }

        Assert.Equal(JobStatus.Completed, final!.Status);
        Assert.Equal("all steps", final.Result!.Value.GetString());
        Assert.NotEmpty(progress);
        Assert.Equal(progress.Order(), progress);
        var record = (await server.Mesh.GetJobAsync(job.Id))!;
        Assert.Equal(100, record.ProgressPercent);
    }

    [Fact]
    public async Task WorkflowStep_CarriesItsCorrelationIdToTheHandlerAndTheRecord()
    {
        string? seen = null;
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("step", c =>
        {
            seen = c.CorrelationId;
            return c.Pattern.ToString();
        }).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "step", Pattern = ExecutionPattern.Workflow, CorrelationId = "run-7/step-2" });

        Assert.Equal("Workflow", result.GetResult<string>());
        Assert.Equal("run-7/step-2", seen);
        var listed = await server.Mesh.ListJobsAsync(new JobQuery { CorrelationId = "run-7/step-2" });
        Assert.Equal(result.JobId, Assert.Single(listed).Id);
    }

    [Fact]
    public async Task Cancel_FromTheCallersToken_ReachesTheHandlerAndFreesTheSlot()
    {
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").WithMaxConcurrentJobs(1)
            .RegisterHandler("wait", async (_, ct) =>
            {
                using var registration = ct.Register(() => handlerCancelled.TrySetResult());
                handlerStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return null;
            })
            .RegisterHandler("quick", _ => "quick")
            .Build();
        await agent.ConnectAsync();

        using var cts = new CancellationTokenSource();
        var running = server.Mesh.ExecuteAsync(new JobRequest { Command = "wait" }, cts.Token);
        await Wait.ForAsync(handlerStarted.Task, "the handler to start");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Wait.ForAsync(handlerCancelled.Task, "the handler's token to fire");
        var job = Assert.Single(await server.Mesh.ListJobsAsync(new JobQuery { Command = "wait" }));
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(job.Id))!.Status == JobStatus.Cancelled, "the job to end Cancelled");

        // The agent's only slot is free again.
        Assert.Equal(JobStatus.Completed, (await server.Mesh.ExecuteAsync(new JobRequest { Command = "quick" })).Status);
    }

    [Fact]
    public async Task Timeout_ReachesTheHandler_TheJobEndsTimedOut()
    {
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("slow", async (_, ct) =>
        {
            using var registration = ct.Register(() => handlerCancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "slow", Timeout = TimeSpan.FromMilliseconds(200) });

        Assert.Equal(JobStatus.TimedOut, result.Status);
        Assert.Equal(MeshErrorCodes.Timeout, result.Error!.Code);
        await Wait.ForAsync(handlerCancelled.Task, "the handler's token to fire");
        await Wait.UntilAsync(() => agent.ActiveJobs == 0, "the agent's slot to be freed");
    }

    [Fact]
    public async Task Retry_FailsTwiceThenSucceeds_WithBackoff()
    {
        var calls = 0;
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.RetryBaseDelay = TimeSpan.FromMilliseconds(20));
        await using var agent = server.NewAgent("a1").RegisterHandler("flaky", _ =>
            Interlocked.Increment(ref calls) < 3 ? throw new InvalidOperationException($"failure {calls}") : "finally").Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "flaky", MaxAttempts = 3 });

        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal(3, calls);
        Assert.Equal(3, result.Attempts);
    }

    [Fact]
    public async Task Retry_Exhausted_IsDeadLetteredAndListed()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.RetryBaseDelay = TimeSpan.FromMilliseconds(10));
        await using var agent = server.NewAgent("a1").RegisterHandler("doomed", _ => throw new InvalidOperationException("always")).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "doomed", MaxAttempts = 2 });

        Assert.Equal(JobStatus.DeadLettered, result.Status);
        Assert.Equal("always", result.Error!.Message);
        var deadLettered = await server.Mesh.ListJobsAsync(new JobQuery { Status = JobStatus.DeadLettered });
        Assert.Contains(deadLettered, j => j.Id == result.JobId);
    }

    [Fact]
    public async Task Failure_WithoutRetries_EndsFailed_WithTypeAndMessage_NoStackTrace()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("boom", _ => throw new ArgumentException("bad thing")).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "boom" });

        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(MeshErrorCodes.HandlerFailed, result.Error!.Code);
        Assert.Equal(typeof(ArgumentException).FullName, result.Error.Type);
        Assert.Equal("bad thing", result.Error.Message);
        Assert.Null(result.Error.Details);
    }

    [Fact]
    public async Task Failure_WithErrorDetailsConfigured_CarriesTheStackTrace()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").Configure(o => o.IncludeErrorDetails = true)
            .RegisterHandler("boom", _ => throw new ArgumentException("bad thing")).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "boom" });

        Assert.Contains("at ", result.Error!.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongParameterShape_FailsWithInvalidParameters_AndIsNotRetried()
    {
        var calls = 0;
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("typed", c =>
        {
            Interlocked.Increment(ref calls);
            return c.GetParameter<int>("n");
        }).Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "typed", Parameters = Json(new { n = "not a number" }), MaxAttempts = 3 });

        Assert.Equal(JobStatus.Failed, result.Status);
        Assert.Equal(MeshErrorCodes.InvalidParameters, result.Error!.Code);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Idempotency_SameKey_ReturnsTheExistingJob_AndRunsOnce()
    {
        var calls = 0;
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterHandler("charge", _ => Interlocked.Increment(ref calls)).Build();
        await agent.ConnectAsync();

        var first = await server.Mesh.ExecuteAsync(new JobRequest { Command = "charge", IdempotencyKey = "order-1" });
        var again = await server.Mesh.ExecuteAsync(new JobRequest { Command = "charge", IdempotencyKey = "order-1" });
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => server.Mesh.SubmitAsync(new JobRequest { Command = "charge", IdempotencyKey = "order-2" })));

        Assert.Equal(first.JobId, again.JobId);
        Assert.Equal(first.Result!.Value.GetInt32(), again.Result!.Value.GetInt32());
        Assert.Single(concurrent.Select(j => j.Id).Distinct());
        await Wait.UntilAsync(() => Volatile.Read(ref calls) == 2, "both keys ran exactly once");
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task MaxConcurrentJobs_AFullAgentIsNotGivenMore()
    {
        var running = 0;
        var peak = 0;
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").WithMaxConcurrentJobs(2).RegisterHandler("work", async (_, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(30, ct);
            Interlocked.Decrement(ref running);
            return null;
        }).Build();
        await agent.ConnectAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => server.Mesh.ExecuteAsync(new JobRequest { Command = "work" })));

        Assert.All(results, r => Assert.Equal(JobStatus.Completed, r.Status));
        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task Drain_RunningJobFinishesBeforeTheAgentStops()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        var agent = server.NewAgent("a1").RegisterHandler("work", async (_, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return "finished while draining";
        }).Build();
        await agent.ConnectAsync();

        var job = server.Mesh.ExecuteAsync(new JobRequest { Command = "work" });
        await Wait.UntilAsync(() => agent.ActiveJobs == 1, "the job to start");
        var stopping = agent.StopAsync();
        release.SetResult();
        await stopping;
        await agent.DisposeAsync();

        var result = await job;
        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal("finished while draining", result.GetResult<string>());
    }

    [Fact]
    public async Task Drain_JobsStillRunningAfterTheGracePeriod_AreGivenBackAndRunElsewhere()
    {
        await using var server = await TestMeshServer.StartAsync();
        var leaving = server.NewAgent("leaving").Configure(o => o.DrainTimeout = TimeSpan.FromMilliseconds(200))
            .RegisterHandler("work", async (_, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return "never";
            }).Build();
        await leaving.ConnectAsync();
        var job = server.Mesh.ExecuteAsync(new JobRequest { Command = "work" });
        await Wait.UntilAsync(() => leaving.ActiveJobs == 1, "the job to start on the leaving agent");

        await using var staying = server.NewAgent("staying").RegisterHandler("work", _ => "done by the staying agent").Build();
        await staying.ConnectAsync();
        await leaving.DisposeAsync();

        var result = await Wait.ForAsync(job, "the job to finish elsewhere");
        Assert.Equal(JobStatus.Completed, result.Status);
        Assert.Equal("staying", result.AgentId);
        Assert.Equal(2, result.Attempts);
    }

    private static async IAsyncEnumerable<object?> Count(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var n = command.GetParameter<int>("n");
        for (var i = 1; i <= n; i++)
        {
            if (i % 100 == 0)
            {
                await Task.Yield();
            }

            yield return i;
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
