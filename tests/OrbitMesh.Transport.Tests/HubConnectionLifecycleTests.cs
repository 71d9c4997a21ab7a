using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Transport.Tests;

/// <summary>Keep-alive, server timeout, Close messages, reconnect and refusals, against real servers.</summary>
public sealed class HubConnectionLifecycleTests
{
    private static IRetryPolicy FastRetry() => new DecorrelatedJitterRetryPolicy(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200));

    [Fact]
    public async Task KeepAlive_AnIdleClientSendsPingsOnTheWire()
    {
        await using var server = await HubServer.StartAsync();
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/pings"), o => { o.Transports = HttpTransportType.WebSockets; o.SkipNegotiation = true; })
            .WithKeepAliveInterval(TimeSpan.FromMilliseconds(50))
            .WithServerTimeout(TimeSpan.FromMinutes(5))
            .Build();
        await connection.StartAsync();

        await Wait.UntilAsync(() => Interlocked.Read(ref server.Recorder.PingsReceived) >= 5, "the peer received 5 pings");
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task ServerTimeout_SilentServer_IsDetectedAndTheClientReconnects()
    {
        await using var server = await HubServer.StartAsync();
        var reconnecting = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/silent"))
            .WithServerTimeout(TimeSpan.FromMilliseconds(400))
            .WithAutomaticReconnect(FastRetry())
            .Build();
        connection.Reconnecting += ex => { reconnecting.TrySetResult(ex); return Task.CompletedTask; };
        connection.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();

        var reason = await Wait.ForAsync(reconnecting.Task, "the client to notice the silent server");
        Assert.IsType<TimeoutException>(reason);
        await Wait.ForAsync(reconnected.Task, "the client to reconnect");
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }

    [Fact]
    public async Task CloseMessageWithError_ClosesWithTheServersReasonAndDoesNotReconnect()
    {
        await using var server = await HubServer.StartAsync();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnecting = false;
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/failing"))
            .WithAutomaticReconnect(FastRetry())
            .Build();
        connection.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        connection.Reconnecting += _ => { reconnecting = true; return Task.CompletedTask; };
        await connection.StartAsync();

        var error = await Wait.ForAsync(closed.Task, "the server's Close message");
        Assert.IsType<HubException>(error);
        Assert.Contains("refuses every connection", error!.Message, StringComparison.Ordinal);
        Assert.False(reconnecting);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task ServerAbortsTheConnection_TheOfficialClientClosesForGood()
    {
        // A server-side Abort sends Close without "allow reconnect": the client does not reconnect by itself.
        // The agent builds on this: it starts over unless it was told not to come back (MeshAgent.RestartAsync).
        await using var server = await HubServer.StartAsync();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnecting = false;
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/test"))
            .WithAutomaticReconnect(FastRetry())
            .Build();
        connection.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        connection.Reconnecting += _ => { reconnecting = true; return Task.CompletedTask; };
        await connection.StartAsync();

        await connection.SendAsync("Abort");
        await Wait.ForAsync(closed.Task, "the connection to close after the server aborted it");
        Assert.False(reconnecting);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task ServerRestartsOnTheSamePort_TheClientReconnectsByItself()
    {
        var server = await HubServer.StartAsync();
        var port = server.Port;
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnects = 0;
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/test"))
            .WithAutomaticReconnect(FastRetry())
            .Build();
        connection.Reconnecting += _ => { reconnecting.TrySetResult(); return Task.CompletedTask; };
        connection.Reconnected += _ => { Interlocked.Increment(ref reconnects); return Task.CompletedTask; };
        await connection.StartAsync();

        var pending = connection.InvokeAsync<string>("SlowEcho", "never", 60_000);
        await server.DisposeAsync();
        await Wait.ForAsync(reconnecting.Task, "the client to notice the server went away");
        await Assert.ThrowsAnyAsync<Exception>(() => Wait.ForAsync(pending, "the pending call to fail"));

        // A stopping server closes its hub connections before it stops listening, so the client may reconnect to
        // it once more while it drains and only then lose it for good; with the server gone it keeps trying.
        await Wait.UntilAsync(() => connection.State == HubConnectionState.Reconnecting, "the client to keep reconnecting while no server listens");
        var reconnectsWhileDown = Volatile.Read(ref reconnects);

        await using var restarted = await HubServer.StartAsync(port);
        await Wait.UntilAsync(
            () => Volatile.Read(ref reconnects) > reconnectsWhileDown && connection.State == HubConnectionState.Connected,
            "the client to reconnect to the restarted server");
        Assert.Equal("again", await connection.InvokeAsync<string>("Echo", "again"));
    }

    [Fact]
    public async Task RetryPolicyGivesUp_ClosedIsRaisedWithTheReason()
    {
        var server = await HubServer.StartAsync();
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/test"))
            .WithAutomaticReconnect(new CountingPolicy(maxAttempts: 2))
            .Build();
        connection.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        await connection.StartAsync();

        await server.DisposeAsync();
        var error = await Wait.ForAsync(closed.Task, "the policy to give up");
        var exception = Assert.IsType<OperationCanceledException>(error);
        Assert.Contains("exhausted", exception.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task StopAsync_RaisesClosedOnceAndDoesNotReconnect()
    {
        await using var server = await HubServer.StartAsync();
        var closedCount = 0;
        var reconnecting = false;
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(server.Url("/test"))
            .WithAutomaticReconnect(FastRetry())
            .Build();
        connection.Closed += _ => { Interlocked.Increment(ref closedCount); return Task.CompletedTask; };
        connection.Reconnecting += _ => { reconnecting = true; return Task.CompletedTask; };
        await connection.StartAsync();

        await connection.StopAsync();
        await connection.StopAsync();

        // The official client raises Closed on the thread pool, after StopAsync returned.
        await Wait.UntilAsync(() => Volatile.Read(ref closedCount) > 0, "Closed to be raised");
        Assert.Equal(1, Volatile.Read(ref closedCount));
        Assert.False(reconnecting);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    [Fact]
    public async Task StartAsync_Refused401_ThrowsAuthenticationExceptionWithTheServersReason()
    {
        await using var server = await HubServer.StartAsync();
        await using var connection = new HubConnectionBuilder().WithMeshHub(server.Url("/secured"), "wrong").Build();
        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => connection.StartMeshAsync());
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("The token is not known", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsRetryable);
    }

    [Fact]
    public async Task StartAsync_Busy503_CarriesTheServersRetryAfter()
    {
        await using var server = await HubServer.StartAsync();
        await using var connection = new HubConnectionBuilder().WithMeshHub(server.Url("/busy")).Build();
        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartMeshAsync());
        Assert.Equal("server_busy", error.Code);
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.True(error.IsRetryable);
    }

    [Fact]
    public async Task StartAsync_NoHubAtThePath_ThrowsNotFound()
    {
        await using var server = await HubServer.StartAsync();
        await using var connection = new HubConnectionBuilder().WithMeshHub(server.Url("/nothing-here")).Build();
        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartMeshAsync());
        Assert.Equal("not_found", error.Code);
    }

    [Fact]
    public async Task StartAsync_NothingListening_ThrowsARetryableConnectionError()
    {
        await using var connection = new HubConnectionBuilder().WithMeshHub(new Uri($"http://127.0.0.1:{FreePort.Next()}/test")).Build();
        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartMeshAsync());
        Assert.True(error.IsRetryable);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }

    private sealed class CountingPolicy(int maxAttempts) : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) =>
            retryContext.PreviousRetryCount < maxAttempts ? TimeSpan.FromMilliseconds(10) : null;
    }
}
