using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Agent.Tests.EndToEnd;

/// <summary>Connecting, refusals, retrying, reconnecting after a server restart, and closing.</summary>
public sealed class MeshAgentConnectionTests
{
    private static (ILoggerFactory Factory, CapturedLogs Logs) AgentLogs()
    {
        var logs = new CapturedLogs();
        return (LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs)), logs);
    }

    private static TaskCompletionSource<T> Signal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task ConnectAsync_RegistersAndTheServerListsTheAgentReady()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(500));
        await using var agent = server.NewAgent("conn-ok")
            .WithName("Connection OK")
            .WithCapabilities("gpu")
            .WithGroups("blue")
            .WithMetadata("zone", "a")
            .WithMaxConcurrentJobs(3)
            .RegisterHandler("echo", c => c.Parameters)
            .Build();

        await agent.ConnectAsync();

        Assert.True(agent.IsRegistered);
        Assert.Equal(HubConnectionState.Connected, agent.State);
        Assert.Equal("conn-ok", agent.Registration!.AgentId);
        Assert.Equal(500, agent.Registration.HeartbeatIntervalMs);
        Assert.False(agent.Registration.ReplacedExisting);
        var listed = server.Registry.GetAgent("conn-ok")!;
        Assert.Equal(AgentStatus.Ready, listed.Status);
        Assert.Equal("Connection OK", listed.Name);
        Assert.Equal(["gpu"], listed.Capabilities);
        Assert.Equal(["blue"], listed.Groups);
        Assert.Equal(["echo"], listed.Commands);
        Assert.Equal("a", listed.Metadata["zone"]);
        Assert.Equal(3, listed.Load!.MaxConcurrentJobs);
    }

    [Fact]
    public async Task ConnectAsync_Twice_Throws()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("conn-twice").Build();
        await agent.ConnectAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => agent.ConnectAsync());
        Assert.True(agent.IsRegistered);
    }

    [Fact]
    public async Task ConnectAsync_WrongToken_ThrowsMeshAuthenticationException()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("conn-badtoken").WithToken("not-the-token").Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());

        Assert.Equal(401, error.StatusCode);
        Assert.False(error.IsRetryable);
        Assert.Contains("The agent token is not known to this server", error.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
        Assert.False(agent.IsRegistered);
        Assert.Null(server.Registry.GetAgent("conn-badtoken"));
    }

    [Fact]
    public async Task ConnectAsync_WrongTokenWithRetryInitialConnection_StillFailsAtOnce()
    {
        await using var server = await TestMeshServer.StartAsync();
        var (factory, logs) = AgentLogs();
        using var loggers = factory;
        await using var agent = server.NewAgent("conn-badtoken-retry")
            .WithToken("not-the-token")
            .WithLoggerFactory(factory)
            .Configure(o => o.RetryInitialConnection = true)
            .Build();

        await Assert.ThrowsAsync<MeshAuthenticationException>(() => Wait.ForAsync(agent.ConnectAsync(), "the refusal"));

        Assert.False(logs.Contains(3003));
    }

    [Fact]
    public async Task ConnectAsync_NoToken_ThrowsMeshAuthenticationException()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = new MeshAgentBuilder().WithServer(server.Url).WithId("conn-notoken").Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());

        Assert.Contains("No agent credential was presented", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_InvalidRegistration_ThrowsMeshRegistrationExceptionWithoutConnecting()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("conn-invalid")
            .WithCapabilities("ok", "bad\u0007capability")
            .WithMetadata("zone", new string('z', 1025))
            .Build();

        var error = await Assert.ThrowsAsync<MeshRegistrationException>(() => agent.ConnectAsync());

        Assert.StartsWith("The agent's registration is invalid: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("capabilities entry 'bad?capability'", error.Message, StringComparison.Ordinal);
        Assert.Contains("metadata value for 'zone'", error.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
        Assert.False(server.Logs.Contains(2001), "the server saw a connection");
        Assert.False(server.Logs.Contains(2040), "the server refused a connection");
        Assert.Null(server.Registry.GetAgent("conn-invalid"));
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsRetryableMeshConnectionException()
    {
        var port = FreePort.Next();
        await using var agent = new MeshAgentBuilder().WithServer($"http://127.0.0.1:{port}").WithToken("t").WithId("conn-refused").Build();

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => agent.ConnectAsync());

        Assert.IsNotType<MeshAuthenticationException>(error);
        Assert.True(error.IsRetryable);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_RetryInitialConnection_ConnectsOnceTheServerStarts()
    {
        var port = FreePort.Next();
        var (factory, logs) = AgentLogs();
        using var loggers = factory;
        await using var agent = new MeshAgentBuilder()
            .WithServer($"http://127.0.0.1:{port}")
            .WithToken(TestMeshServer.AgentToken)
            .WithId("conn-retry")
            .WithLoggerFactory(factory)
            .Configure(o =>
            {
                o.RetryInitialConnection = true;
                o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
            })
            .Build();

        var connecting = agent.ConnectAsync();
        await Wait.UntilAsync(() => logs.Contains(3003), "the agent to fail a first attempt and retry");
        Assert.False(connecting.IsCompleted);

        await using var server = await TestMeshServer.StartAsync(port: port);
        await Wait.ForAsync(connecting, "the agent to connect once the server is up");

        Assert.True(agent.IsRegistered);
        await server.WaitForAgentAsync("conn-retry", AgentStatus.Ready);
    }

    [Fact]
    public async Task ConnectAsync_RetryInitialConnection_CanBeCancelled()
    {
        var port = FreePort.Next();
        using var cts = new CancellationTokenSource();
        var (factory, logs) = AgentLogs();
        using var loggers = factory;
        await using var agent = new MeshAgentBuilder()
            .WithServer($"http://127.0.0.1:{port}")
            .WithToken("t")
            .WithId("conn-retry-cancel")
            .WithLoggerFactory(factory)
            .Configure(o =>
            {
                o.RetryInitialConnection = true;
                o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100);
            })
            .Build();

        var connecting = agent.ConnectAsync(cts.Token);
        await Wait.UntilAsync(() => logs.Contains(3003), "the agent to retry");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(connecting, "the cancelled connect to end"));
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
    }

    [Fact]
    public async Task ServerRestartOnTheSamePort_TheAgentReconnectsAndRegistersAgain()
    {
        var first = await TestMeshServer.StartAsync();
        var port = first.Port;
        var reconnecting = Signal<Exception?>();
        var registrations = new ConcurrentQueue<Protocol.RegistrationResult>();
        var closed = 0;
        await using var agent = first.NewAgent("conn-restart").RegisterHandler("echo", c => c.Parameters).Build();
        agent.Reconnecting += e => { reconnecting.TrySetResult(e); return Task.CompletedTask; };
        agent.Reconnected += r => { registrations.Enqueue(r); return Task.CompletedTask; };
        agent.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };
        await agent.ConnectAsync();
        var firstConnection = agent.Registration!.ConnectionId;

        await first.DisposeAsync();
        await Wait.ForAsync(reconnecting.Task, "the agent to notice the server went away");

        // The restarted server has a heartbeat interval of its own, which tells its registrations apart
        // (the agent may get back in to the old server while it is still shutting down).
        const int RestartedHeartbeatMs = 100;
        await using var second = await TestMeshServer.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(RestartedHeartbeatMs), port: port);
        await Wait.UntilAsync(() => registrations.Any(r => r.HeartbeatIntervalMs == RestartedHeartbeatMs), "the agent to reconnect and register with the restarted server");

        var registration = registrations.Single(r => r.HeartbeatIntervalMs == RestartedHeartbeatMs);
        Assert.Equal("conn-restart", registration.AgentId);
        Assert.NotEqual(firstConnection, registration.ConnectionId);
        await Wait.UntilAsync(() => agent.IsRegistered, "the agent to be registered");
        Assert.Same(registration, agent.Registration);
        await second.WaitForAgentAsync("conn-restart", AgentStatus.Ready);
        Assert.Equal("again", await second.Mesh.InvokeAsync<string>("conn-restart", "echo", "again"));
        await Wait.UntilAsync(() => second.Registry.GetAgent("conn-restart") is { } a && a.LastHeartbeatAt > a.ConnectedAt,
            "the agent to heartbeat to the new server");
        Assert.Equal(0, Volatile.Read(ref closed));
    }

    [Fact]
    public async Task StopAsync_RaisesClosedOnceAndTheServerSeesTheAgentDisconnect()
    {
        await using var server = await TestMeshServer.StartAsync();
        var closedWith = new List<Exception?>();
        var agent = server.NewAgent("conn-stop").Build();
        agent.Closed += e => { lock (closedWith) { closedWith.Add(e); } return Task.CompletedTask; };
        await agent.ConnectAsync();

        await agent.StopAsync();
        await agent.StopAsync();
        await agent.DisposeAsync();
        await agent.DisposeAsync();

        Assert.Null(Assert.Single(closedWith));
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
        Assert.False(agent.IsRegistered);
        await server.WaitForAgentAsync("conn-stop", AgentStatus.Disconnected);
    }

    [Fact]
    public async Task DisposeAsync_RaisesClosedOnce()
    {
        await using var server = await TestMeshServer.StartAsync();
        var closed = 0;
        var agent = server.NewAgent("conn-dispose").Build();
        agent.Closed += e => { Interlocked.Increment(ref closed); return Task.CompletedTask; };
        await agent.ConnectAsync();

        await agent.DisposeAsync();

        Assert.Equal(1, closed);
        await server.WaitForAgentAsync("conn-dispose", AgentStatus.Disconnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => agent.ConnectAsync());
    }

    [Fact]
    public async Task DisposeAsync_WhileAHandlerIgnoresCancellation_TheHandlerFinishesLaterWithoutErrors()
    {
        await using var server = await TestMeshServer.StartAsync();
        var (factory, logs) = AgentLogs();
        using var loggers = factory;
        var started = Signal<bool>();

        // Completed on the test thread, so the rest of the invocation runs before SetResult returns.
        var release = new TaskCompletionSource<bool>();
        var agent = server.NewAgent("conn-stubborn").WithLoggerFactory(factory).RegisterHandler("stubborn", async (c, ct) =>
        {
            started.TrySetResult(true);
            await release.Task;
            return "late";
        }).Build();
        await agent.ConnectAsync();
        var call = server.Mesh.InvokeAsync<string>("conn-stubborn", "stubborn", timeout: TimeSpan.FromSeconds(15));
        await Wait.ForAsync(started.Task, "the handler to start");

        await agent.DisposeAsync();
        release.SetResult(true);

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(call, "the caller to learn the agent left"));
        Assert.Equal(MeshErrorCodes.AgentDisconnected, error.Code);
        Assert.Equal(0, agent.ActiveJobs);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task StopAsync_BeforeConnecting_DoesNotRaiseClosed()
    {
        var closed = 0;
        await using var agent = new MeshAgentBuilder().WithServer("http://127.0.0.1:1").WithId("conn-never").Build();
        agent.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };

        await agent.StopAsync();

        Assert.Equal(0, closed);
    }

    [Fact]
    public async Task AnotherAgentWithTheSameId_ReplacesTheFirstWhichClosesForGood()
    {
        await using var server = await TestMeshServer.StartAsync();
        var closed = Signal<Exception?>();
        var reconnecting = false;
        await using var first = server.NewAgent("conn-dup").Build();
        first.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        first.Reconnecting += _ => { reconnecting = true; return Task.CompletedTask; };
        await first.ConnectAsync();
        await using var second = server.NewAgent("conn-dup").Build();

        await second.ConnectAsync();

        Assert.True(second.Registration!.ReplacedExisting);
        var reason = Assert.IsType<MeshConnectionException>(await Wait.ForAsync(closed.Task, "the replaced agent to close"));
        Assert.Equal(Protocol.DisconnectCodes.Replaced, reason.Code);
        Assert.False(reason.IsRetryable);
        Assert.False(reconnecting);
        Assert.Equal(HubConnectionState.Disconnected, first.State);
        Assert.True(second.IsRegistered);
        await server.WaitForAgentAsync("conn-dup", AgentStatus.Ready);
    }
}
