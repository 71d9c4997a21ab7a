using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Tests.EndToEnd;

/// <summary>
/// Real agents against a real server, called through the server's in-process <see cref="IMeshClient"/>:
/// results, errors, timeouts and the concurrency limit as the caller sees them.
/// </summary>
public sealed class MeshAgentInvocationTests(MeshServerFixture fixture) : IClassFixture<MeshServerFixture>
{
    private TestMeshServer Server => fixture.Server;

    private IMeshClient Mesh => fixture.Server.Mesh;

    private async Task<MeshAgent> ConnectAsync(MeshAgentBuilder builder)
    {
        var agent = builder.Build();
        await agent.ConnectAsync();
        return agent;
    }

    [Fact]
    public async Task InvokeAsync_LambdaHandler_ReturnsItsResult()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-lambda")
            .RegisterHandler("add", c => c.GetParameter<int>("a") + c.GetParameter<int>("b"))
            .RegisterHandler("greet", async (c, ct) =>
            {
                await Task.Yield();
                return new { greeting = $"hello {c.GetParameter<string>("name")}", correlation = c.CorrelationId };
            }));

        Assert.Equal(5, await Mesh.InvokeAsync<int>("inv-lambda", "add", new { a = 2, b = 3 }));
        var greeting = await Mesh.InvokeAsync<JsonElement>("inv-lambda", "greet", new { name = "ada" });
        Assert.Equal("""{"greeting":"hello ada"}""", greeting.GetRawText());
    }

    [Fact]
    public async Task InvokeAsync_ParametersAndResultsRoundTripAsJson()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-echo").RegisterHandler("echo", c => c.Parameters));

        var sent = new Order("o-1", [new Line("apple", 3), new Line("pear", 1)], DateTimeOffset.Parse("2026-03-04T05:06:07+02:00", System.Globalization.CultureInfo.InvariantCulture));
        var echoed = await Mesh.InvokeAsync<Order>("inv-echo", "echo", sent);

        Assert.Equal(sent.Id, echoed!.Id);
        Assert.Equal(sent.Lines, echoed.Lines);
        Assert.Equal(sent.At, echoed.At);
    }

    [Fact]
    public async Task InvokeAsync_HandlerReturnsNull_ReturnsDefault()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-null").RegisterHandler("nothing", _ => null));

        Assert.Null(await Mesh.InvokeAsync<string>("inv-null", "nothing"));
        Assert.Equal(0, await Mesh.InvokeAsync<int>("inv-null", "nothing"));
    }

    [Fact]
    public async Task InvokeAsync_DiHandler_IsActivatedPerExecutionInAFreshScope()
    {
        var recorder = new Recorder();
        await using var services = new ServiceCollection()
            .AddSingleton(recorder)
            .AddSingleton(new Greeter("Hello"))
            .AddScoped<ScopedResource>()
            .BuildServiceProvider();
        await using var agent = await ConnectAsync(Server.NewAgent("inv-di").WithServices(services).RegisterHandler<GreetingHandler>("greet"));

        var first = await Mesh.InvokeAsync<string>("inv-di", "greet", new { name = "Ada" });
        Assert.Single(recorder.Resources);
        Assert.True(recorder.Resources[0].Disposed);
        var second = await Mesh.InvokeAsync<string>("inv-di", "greet", new { name = "Grace" });

        Assert.Equal("Hello, Ada", first);
        Assert.Equal("Hello, Grace", second);
        Assert.Equal(2, recorder.Handlers.Count);
        Assert.NotSame(recorder.Handlers[0], recorder.Handlers[1]);
        Assert.NotSame(recorder.Resources[0], recorder.Resources[1]);
        Assert.All(recorder.Resources, r => Assert.True(r.Disposed));
        Assert.All(recorder.Resources, r => Assert.False(r.DisposedBeforeUse));
    }

    [Fact]
    public async Task InvokeAsync_LambdaHandler_GetsServicesFromTheExecutionScope()
    {
        var seen = new List<ScopedResource>();
        await using var services = new ServiceCollection().AddScoped<ScopedResource>().BuildServiceProvider();
        await using var agent = await ConnectAsync(Server.NewAgent("inv-scope").WithServices(services).RegisterHandler("use", c =>
        {
            var resource = c.Services.GetRequiredService<ScopedResource>();
            Assert.Same(resource, c.Services.GetRequiredService<ScopedResource>());
            lock (seen)
            {
                seen.Add(resource);
            }

            return null;
        }));

        await Mesh.InvokeAsync<object>("inv-scope", "use");
        await Mesh.InvokeAsync<object>("inv-scope", "use");

        Assert.Equal(2, seen.Count);
        Assert.NotSame(seen[0], seen[1]);
        Assert.All(seen, r => Assert.True(r.Disposed));
    }

    [Fact]
    public async Task InvokeAsync_StreamHandler_ReturnsTheItemsAsAnArray()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-stream")
            .RegisterStreamHandler("count", (c, ct) => Count(c.GetParameter("n", 3), ct))
            .RegisterHandler<LetterStreamHandler>("letters"));

        var five = await Mesh.InvokeAsync<int[]>("inv-stream", "count", new { n = 5 });
        var none = await Mesh.InvokeAsync<int[]>("inv-stream", "count", new { n = 0 });
        var letters = await Mesh.InvokeAsync<string[]>("inv-stream", "letters");

        Assert.Equal([1, 2, 3, 4, 5], five!);
        Assert.Empty(none!);
        Assert.Equal(["a", "b", "c"], letters!);
    }

    [Fact]
    public async Task InvokeAsync_UnknownCommand_ThrowsUnknownCommand()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-unknown").RegisterHandler("echo", c => c.Parameters));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>("inv-unknown", "no.such.command"));

        Assert.Equal(MeshErrorCodes.UnknownCommand, error.Code);
        Assert.Equal("inv-unknown", error.AgentId);
        Assert.Equal("Agent 'inv-unknown' has no handler for 'no.such.command'.", error.Error.Message);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public async Task InvokeAsync_HandlerThrows_ThrowsHandlerFailedWithTypeAndMessageButNoStackTrace()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-throws").RegisterHandler("fail", FailingHandler));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>("inv-throws", "fail"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.Equal("System.InvalidOperationException", error.Error.Type);
        Assert.Equal("the disk is full", error.Error.Message);
        Assert.Null(error.Error.Details);
        Assert.Equal("Agent 'inv-throws': System.InvalidOperationException: the disk is full", error.Message);
        Assert.DoesNotContain(nameof(FailingHandler), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_HandlerThrowsWithIncludeErrorDetails_CarriesTheStackTrace()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-details")
            .Configure(o => o.IncludeErrorDetails = true)
            .RegisterHandler("fail", FailingHandler));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>("inv-details", "fail"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.NotNull(error.Error.Details);
        Assert.StartsWith("System.InvalidOperationException: the disk is full", error.Error.Details, StringComparison.Ordinal);
        Assert.Contains(nameof(FailingHandler), error.Error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_MeshParameterException_ThrowsInvalidParameters()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-params").RegisterHandler("needs", c => c.GetParameter<int>("count")));

        var missing = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<int>("inv-params", "needs", new { other = 1 }));
        var wrong = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<int>("inv-params", "needs", new { count = "many" }));

        Assert.Equal(MeshErrorCodes.InvalidParameters, missing.Code);
        Assert.Equal("The parameter 'count' is required.", missing.Error.Message);
        Assert.Equal(typeof(MeshParameterException).FullName, missing.Error.Type);
        Assert.Equal(MeshErrorCodes.InvalidParameters, wrong.Code);
        Assert.StartsWith("The parameter 'count' is not a valid Int32", wrong.Error.Message, StringComparison.Ordinal);
        Assert.Null(wrong.Error.Details);
    }

    [Fact]
    public async Task AccessDenied_ReachesTheCallerAsNotAllowed_ForCallsAndJobs()
    {
        await using var agent = await ConnectAsync(Server.NewAgent("inv-denied").RegisterHandler("guarded", object? (_) => throw new MeshAccessDeniedException("'/etc/shadow' is outside the paths this agent allows.")));

        var call = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<int>("inv-denied", "guarded"));
        var job = await Mesh.ExecuteAsync(new JobRequest { Command = "guarded", Target = AgentTarget.ForAgent("inv-denied"), MaxAttempts = 3 });

        Assert.Equal(MeshErrorCodes.NotAllowed, call.Code);
        Assert.Equal("'/etc/shadow' is outside the paths this agent allows.", call.Error.Message);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(MeshErrorCodes.NotAllowed, job.Error!.Code);
        Assert.Null(job.Error.Details);
    }

    [Fact]
    public async Task InvokeAsync_Timeout_ThrowsTimeoutAndCancelsTheHandler()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = await ConnectAsync(Server.NewAgent("inv-timeout").RegisterHandler("hang", async (c, ct) =>
        {
            using var registration = ct.Register(() => cancelled.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<object>("inv-timeout", "hang", timeout: TimeSpan.FromMilliseconds(300)));

        Assert.Equal(MeshErrorCodes.Timeout, error.Code);
        Assert.Equal("inv-timeout", error.AgentId);
        await Wait.ForAsync(started.Task, "the handler to start");
        await Wait.ForAsync(cancelled.Task, "the handler's cancellation token to fire");
        await Wait.UntilAsync(() => agent.ActiveJobs == 0, "the timed-out job to leave its slot");
    }

    [Fact]
    public async Task InvokeAsync_AtMaxConcurrentJobs_ThrowsBusyUntilASlotFrees()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = await ConnectAsync(Server.NewAgent("inv-busy")
            .WithMaxConcurrentJobs(1)
            .RegisterHandler("block", async (c, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                return "released";
            }));

        var first = Mesh.InvokeAsync<string>("inv-busy", "block");
        await Wait.UntilAsync(() => agent.ActiveJobs == 1, "the first call to take the only slot");
        var busy = await Assert.ThrowsAsync<MeshInvocationException>(() => Mesh.InvokeAsync<string>("inv-busy", "block"));
        gate.SetResult();

        Assert.Equal(MeshErrorCodes.Busy, busy.Code);
        Assert.True(busy.IsRetryable);
        Assert.Equal("Agent 'inv-busy' is running 1 commands, its limit.", busy.Error.Message);
        Assert.Equal("released", await Wait.ForAsync(first, "the first call to finish"));
        await Wait.UntilAsync(() => agent.ActiveJobs == 0, "the slot to be released");
        Assert.Equal("released", await Mesh.InvokeAsync<string>("inv-busy", "block"));
    }

    [Fact]
    public async Task AHandlerThatIgnoresItsTimeout_FreesItsSlotAfterTheGrace_SoTheAgentIsNotStuckBusy()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = await ConnectAsync(Server.NewAgent("inv-stuck")
            .WithMaxConcurrentJobs(1)
            .RegisterHandler("stuck", async (_, _) =>
            {
                await gate.Task; // ignores its cancellation, like a blocking read on a FIFO
                return "late";
            })
            .RegisterHandler("quick", _ => "quick"));

        var timedOut = await Assert.ThrowsAnyAsync<Exception>(() => Mesh.InvokeAsync<string>("inv-stuck", "stuck", timeout: TimeSpan.FromMilliseconds(200)));
        Assert.Contains("200 ms", timedOut.Message, StringComparison.Ordinal);

        // Past its timeout and the grace the slot is free again, though the handler still runs.
        string? answer = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                answer = await Mesh.InvokeAsync<string>("inv-stuck", "quick");
                return true;
            }
            catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.Busy)
            {
                return false;
            }
        }, "the stuck handler's slot to be freed");
        Assert.Equal("quick", answer);
        Assert.Equal(1, agent.ActiveJobs); // the abandoned handler still runs, and is still counted as running
        gate.SetResult();
        await Wait.UntilAsync(() => agent.ActiveJobs == 0, "the abandoned handler to end at last");
    }

    [Fact]
    public async Task ActiveJobs_CountsRunningCommandsAndTheHeartbeatReportsThem()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = await ConnectAsync(Server.NewAgent("inv-load")
            .WithMaxConcurrentJobs(5)
            .RegisterHandler("block", async (c, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                return c.GetParameter<int>("i");
            }));
        Assert.Equal(0, agent.ActiveJobs);

        var calls = Enumerable.Range(0, 3).Select(i => Mesh.InvokeAsync<int>("inv-load", "block", new { i })).ToList();

        await Wait.UntilAsync(() => agent.ActiveJobs == 3, "three commands to be running");
        await Wait.UntilAsync(() => Server.Registry.GetAgent("inv-load")?.Load is { ActiveJobs: 3, MaxConcurrentJobs: 5 },
            "a heartbeat to report 3 of 5 slots in use");
        var listed = Assert.Single(await Mesh.GetAgentsAsync(), a => a.Id == "inv-load");
        Assert.Equal(0.6, listed.Load!.Utilization, precision: 10);
        Assert.Equal(AgentStatus.Ready, listed.Status);
        Assert.True(listed.LastHeartbeatAt > listed.ConnectedAt);

        gate.SetResult();
        var results = await Wait.ForAsync(Task.WhenAll(calls), "the calls to finish");
        Assert.Equal([0, 1, 2], results);
        await Wait.UntilAsync(() => agent.ActiveJobs == 0, "every slot to be released");
        await Wait.UntilAsync(() => Server.Registry.GetAgent("inv-load")?.Load?.ActiveJobs == 0, "a heartbeat to report the agent idle");
    }

    [Fact]
    public async Task StopAsync_WhileAHandlerRuns_CancelsItsToken()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var agent = await ConnectAsync(Server.NewAgent("inv-stop").RegisterHandler("hang", async (c, ct) =>
        {
            using var registration = ct.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        }));
        await using (agent)
        {
            var call = Mesh.InvokeAsync<object>("inv-stop", "hang", timeout: TimeSpan.FromSeconds(15));
            await Wait.UntilAsync(() => agent.ActiveJobs == 1, "the handler to start");

            await agent.StopAsync();

            await Wait.ForAsync(cancelled.Task, "the handler's token to fire on shutdown");
            var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(call, "the caller to learn the outcome"));
            Assert.Contains(error.Code, new[] { MeshErrorCodes.Cancelled, MeshErrorCodes.AgentDisconnected });
        }
    }

    private static Task<object?> FailingHandler(MeshCommand command, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("the disk is full");

    private static async IAsyncEnumerable<object?> Count(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 1; i <= n; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return i;
        }
    }

    private sealed record Line(string Item, int Quantity);

    private sealed record Order(string Id, IReadOnlyList<Line> Lines, DateTimeOffset At);

    internal sealed record Greeter(string Greeting);

    internal sealed class Recorder
    {
        public List<object> Handlers { get; } = [];

        public List<ScopedResource> Resources { get; } = [];
    }

    internal sealed class ScopedResource : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public bool DisposedBeforeUse { get; set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    internal sealed class GreetingHandler(Greeter greeter, ScopedResource resource, Recorder recorder) : IMeshHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken)
        {
            resource.DisposedBeforeUse = resource.Disposed;
            lock (recorder)
            {
                recorder.Handlers.Add(this);
                recorder.Resources.Add(resource);
            }

            return Task.FromResult<object?>($"{greeter.Greeting}, {command.GetParameter<string>("name")}");
        }
    }

    internal sealed class LetterStreamHandler : IMeshStreamHandler
    {
        public async IAsyncEnumerable<object?> StreamAsync(MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var letter in new[] { "a", "b", "c" })
            {
                await Task.Yield();
                yield return letter;
            }
        }
    }
}
