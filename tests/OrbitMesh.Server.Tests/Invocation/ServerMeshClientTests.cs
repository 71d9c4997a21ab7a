using OrbitMesh.Agent;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Server.Tests.Invocation;

/// <summary>IMeshClient.InvokeAsync (communication level) against real agents on a real server.</summary>
public sealed class ServerMeshClientTests : IAsyncLifetime
{
    private readonly TaskCompletionSource _never = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TestMeshServer _server = null!;
    private MeshAgent _agent = null!;

    public sealed record Sum(int Total, string Label);

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync();
        _agent = await StartAgentAsync("worker");
    }

    public async Task DisposeAsync()
    {
        _never.TrySetResult();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task InvokeAsync_ReturnsTheHandlersResult()
    {
        var result = await Wait.ForAsync(_server.Mesh.InvokeAsync<Sum>("worker", "add", new { a = 2, b = 40, label = "answer" }), "the result");

        Assert.Equal(new Sum(42, "answer"), result);
    }

    [Fact]
    public async Task InvokeAsync_HandlerReturnsNull_ReturnsDefault()
    {
        var result = await Wait.ForAsync(_server.Mesh.InvokeAsync<string>("worker", "nothing"), "the result");

        Assert.Null(result);
    }

    [Fact]
    public async Task InvokeAsync_LargeResultWithinMaximumMessageSize_RoundTrips()
    {
        // 200 KB is well under the default MaximumMessageSize of 1 MiB.
        var result = await Wait.ForAsync(_server.Mesh.InvokeAsync<string>("worker", "big", new { size = 200_000 }), "the large result");

        Assert.Equal(200_000, result?.Length);
    }

    [Fact]
    public async Task InvokeAsync_ConcurrentCalls_AllComplete()
    {
        var calls = Enumerable.Range(0, 6).Select(i => _server.Mesh.InvokeAsync<Sum>("worker", "add", new { a = i, b = 1, label = "n" + i })).ToArray();

        var results = await Wait.ForAsync(Task.WhenAll(calls), "six concurrent calls");

        Assert.Equal(Enumerable.Range(1, 6), results.Select(r => r!.Total));
    }

    [Fact]
    public async Task InvokeAsync_UnknownAgent_ThrowsNoAgent()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => _server.Mesh.InvokeAsync<object>("ghost", "add"));

        Assert.Equal(MeshErrorCodes.NoAgent, error.Code);
        Assert.Equal("ghost", error.AgentId);
        Assert.Contains("No agent with id 'ghost' is known.", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task InvokeAsync_DisconnectedAgent_ThrowsNoAgent()
    {
        var gone = await StartAgentAsync("gone");
        await gone.DisposeAsync();
        await _server.WaitForAgentAsync("gone", AgentStatus.Disconnected);

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => _server.Mesh.InvokeAsync<object>("gone", "add"));

        Assert.Equal(MeshErrorCodes.NoAgent, error.Code);
        Assert.Contains("Agent 'gone' is not connected.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_HandlerThrows_ThrowsHandlerFailedWithTypeAndMessageButNoStackTrace()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("worker", "fail"), "the failure"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.Equal("System.InvalidOperationException", error.Error.Type);
        Assert.Equal("the disk is on fire", error.Error.Message);
        Assert.Null(error.Error.Details);
        Assert.Equal("Agent 'worker': System.InvalidOperationException: the disk is on fire", error.Message);
        Assert.DoesNotContain(" at ", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public async Task InvokeAsync_AgentSendsStackTraceButServerDoesNotIncludeErrorDetails_StackTraceIsDropped()
    {
        await using var chatty = await StartAgentAsync("chatty", o => o.IncludeErrorDetails = true);

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("chatty", "fail"), "the failure"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.Equal("the disk is on fire", error.Error.Message);
        Assert.Null(error.Error.Details);
    }

    [Fact]
    public async Task InvokeAsync_ServerAndAgentIncludeErrorDetails_StackTraceReachesTheCaller()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.IncludeErrorDetails = true);
        await using var agent = server.NewAgent("detailed")
            .Configure(o => o.IncludeErrorDetails = true)
            .RegisterHandler("fail", _ => throw new InvalidOperationException("the disk is on fire"))
            .Build();
        await agent.ConnectAsync();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(server.Mesh.InvokeAsync<object>("detailed", "fail"), "the failure"));

        Assert.Contains("InvalidOperationException: the disk is on fire", error.Error.Details, StringComparison.Ordinal);
        Assert.Contains(" at ", error.Error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_UnknownCommand_ThrowsUnknownCommand()
    {
        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("worker", "no-such-command"), "the failure"));

        Assert.Equal(MeshErrorCodes.UnknownCommand, error.Code);
        Assert.Contains("no-such-command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_AgentDoesNotAnswerInTime_ThrowsTimeoutAndLogs()
    {
        var call = _server.Mesh.InvokeAsync<object>("worker", "hang", timeout: TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(call, "the timeout"));

        Assert.Equal(MeshErrorCodes.Timeout, error.Code);
        Assert.Contains("'hang' did not answer within 300 ms.", error.Message, StringComparison.Ordinal);
        Assert.True(_server.Logs.Contains(e => e.EventId.Id == 2060 && e.Message.Contains("'hang'", StringComparison.Ordinal)), "the timeout is logged (2060)");
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("worker")?.Status);
        Assert.Equal(new Sum(3, "after"), await _server.Mesh.InvokeAsync<Sum>("worker", "add", new { a = 1, b = 2, label = "after" }));
    }

    [Fact]
    public async Task InvokeAsync_DefaultTimeoutFromOptions_Applies()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.DefaultInvokeTimeout = TimeSpan.FromMilliseconds(250));
        await using var agent = server.NewAgent("slow").RegisterHandler("hang", async (_, _) =>
        {
            await _never.Task;
            return null;
        }).Build();
        await agent.ConnectAsync();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(server.Mesh.InvokeAsync<object>("slow", "hang"), "the timeout"));

        Assert.Equal(MeshErrorCodes.Timeout, error.Code);
        Assert.Contains("within 250 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_AgentDisconnectsMidCall_ThrowsAgentDisconnected()
    {
        var leaving = await StartAgentAsync("leaving");
        var call = _server.Mesh.InvokeAsync<object>("leaving", "hang");
        await Wait.ForAsync(_started.Task, "the handler to start");

        await leaving.DisposeAsync();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(call, "the call to fail"));
        Assert.Equal(MeshErrorCodes.AgentDisconnected, error.Code);
        Assert.Contains("The agent disconnected before answering 'hang'.", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task InvokeAsync_AgentProcessKilledMidCall_ThrowsAgentDisconnected()
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);
        await raw.RegisterAsync("killed");
        var call = _server.Mesh.InvokeAsync<object>("killed", "anything");
        await raw.NextAsync(m => RawHubSocket.Type(m) == 1 && m.GetProperty("target").GetString() == HubMethodNames.Invoke, "the server's Invoke");

        raw.Abort();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(call, "the call to fail"));
        Assert.Equal(MeshErrorCodes.AgentDisconnected, error.Code);
        await _server.WaitForAgentAsync("killed", AgentStatus.Disconnected);
    }

    [Fact]
    public async Task InvokeAsync_CallerCancels_ThrowsOperationCanceledAndTheAgentStaysUsable()
    {
        using var cts = new CancellationTokenSource();
        var call = _server.Mesh.InvokeAsync<object>("worker", "hang", cancellationToken: cts.Token);
        await Wait.ForAsync(_started.Task, "the handler to start");

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(call, "the cancelled call"));
        Assert.False(_server.Logs.Contains(2060), "a cancellation is not a timeout");
        Assert.Equal(new Sum(2, "ok"), await _server.Mesh.InvokeAsync<Sum>("worker", "add", new { a = 1, b = 1, label = "ok" }));
    }

    [Fact]
    public async Task InvokeAsync_AlreadyCancelledToken_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("worker", "add", new { a = 1, b = 1, label = "x" }, cancellationToken: cts.Token), "the cancelled call"));
    }

    [Fact]
    public async Task InvokeAsync_RawAgentCompletesWithAnError_ThrowsHandlerFailedWithItsMessage()
    {
        await using var raw = await RawAgent.ConnectAsync(_server);
        raw.Connection.On<InvokeRequest, InvokeResult>(HubMethodNames.Invoke, new Func<InvokeRequest, InvokeResult>(_ => throw new InvalidOperationException("raw agent refuses")));
        await raw.RegisterAsync(Registrations.Valid("raw-failing"));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("raw-failing", "x"), "the failure"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        Assert.Contains("raw agent refuses", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_RawAgentWithoutAnInvokeHandler_ThrowsHandlerFailed()
    {
        await using var raw = await RawAgent.RegisterAsync(_server, "raw-deaf");

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("raw-deaf", "x"), "the failure"));

        Assert.Equal(MeshErrorCodes.HandlerFailed, error.Code);
        // The official client answers an invocation it has no handler for with an error completion.
        Assert.Contains("Client failed to parse", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_RawAgentAnswersNull_ThrowsInternalError()
    {
        await using var raw = await RawAgent.ConnectAsync(_server);
        raw.Connection.On<InvokeRequest, InvokeResult?>(HubMethodNames.Invoke, _ => (InvokeResult?)null);
        await raw.RegisterAsync(Registrations.Valid("raw-null"));

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<object>("raw-null", "x"), "the failure"));

        Assert.Equal(MeshErrorCodes.Internal, error.Code);
        Assert.Contains("The agent answered without a result.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_SendsTheCommandParametersAndTimeoutToTheAgent()
    {
        var received = new TaskCompletionSource<InvokeRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var raw = await RawAgent.ConnectAsync(_server);
        raw.Connection.On<InvokeRequest, InvokeResult>(HubMethodNames.Invoke, request =>
        {
            received.TrySetResult(request);
            return InvokeResult.Ok(OrbitMeshJson.ToElement("done"));
        });
        await raw.RegisterAsync(Registrations.Valid("raw-recorder"));

        var result = await _server.Mesh.InvokeAsync<string>("raw-recorder", "do-it", new { path = "/tmp" }, TimeSpan.FromSeconds(7));

        Assert.Equal("done", result);
        var request = await received.Task;
        Assert.Equal("do-it", request.Command);
        Assert.Equal("/tmp", request.Parameters?.GetProperty("path").GetString());
        Assert.Equal(7000, request.TimeoutMs);
    }

    [Fact]
    public async Task InvokeAsync_MissingAgentIdOrCommand_ThrowsArgumentException()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _server.Mesh.InvokeAsync<object>("", "add"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _server.Mesh.InvokeAsync<object>("worker", ""));
    }

    [Fact]
    public async Task GetAgentsAsync_ListsTheRegisteredAgents()
    {
        var agents = await _server.Mesh.GetAgentsAsync();
        var worker = await _server.Mesh.GetAgentAsync("worker");

        Assert.Equal(["worker"], agents.Select(a => a.Id));
        Assert.NotNull(worker);
        Assert.Equal(["add", "big", "fail", "hang", "nothing"], worker.Commands);
        Assert.Null(await _server.Mesh.GetAgentAsync("ghost"));
    }

    private async Task<MeshAgent> StartAgentAsync(string id, Action<MeshAgentOptions>? configure = null)
    {
        var agent = _server.NewAgent(id)
            .Configure(o => configure?.Invoke(o))
            .RegisterHandler("add", c => new Sum(c.GetParameter<int>("a") + c.GetParameter<int>("b"), c.GetParameter<string>("label")))
            .RegisterHandler("nothing", _ => null)
            .RegisterHandler("big", c => new string('x', c.GetParameter<int>("size")))
            .RegisterHandler("fail", _ => throw new InvalidOperationException("the disk is on fire"))
            .RegisterHandler("hang", async (_, _) =>
            {
                // Ignores its cancellation token on purpose: only the server's side can end the call.
                _started.TrySetResult();
                await _never.Task;
                return null;
            })
            .Build();
        await Wait.ForAsync(agent.ConnectAsync(), $"agent '{id}' to connect");
        return agent;
    }
}
