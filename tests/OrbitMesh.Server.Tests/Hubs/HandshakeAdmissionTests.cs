using System.Net;
using System.Net.WebSockets;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Hubs;

/// <summary>
/// Reconnect admission control: at most MaxConcurrentHandshakes connections may be connected but not
/// yet registered; further connects get 503 with Retry-After, and agents come back once there is room.
/// </summary>
public sealed class HandshakeAdmissionTests
{
    [Fact]
    public async Task Connect_OverTheBudget_Gets503WithRetryAfter_AndIsAdmittedOnceTheSlotIsFree()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.MaxConcurrentHandshakes = 1;
            o.HandshakeRetryAfter = TimeSpan.FromSeconds(3);
        });
        var admission = server.Services.GetRequiredService<HandshakeAdmission>();

        // The first connection holds the only slot: connected, not registered.
        await using var holder = await RawAgent.ConnectAsync(server);
        Assert.Equal(1, admission.Active);

        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        refused.Options.SetRequestHeader("Authorization", "Bearer " + TestMeshServer.AgentToken);
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(new UriBuilder(server.HubUrl) { Scheme = "ws" }.Uri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
        Assert.Equal("3", string.Join(",", refused.HttpResponseHeaders!["Retry-After"]));
        Assert.Contains("Too many agents are connecting at once", string.Join(",", refused.HttpResponseHeaders["X-OrbitMesh-Error"]), StringComparison.Ordinal);
        Assert.Equal(1, admission.Rejected);

        // Registering ends the holder's handshake; the next agent gets in.
        await holder.RegisterAsync(Registrations.Valid("holder"));
        Assert.Equal(0, admission.Active);
        await using var next = await RawAgent.RegisterAsync(server, "next");
        Assert.Equal(2, admission.Admitted);
        Assert.True(admission.Peak <= 1, $"{admission.Peak} handshakes were in progress at once; the budget is 1.");

        // The REST API and health endpoints are not subject to the hub's budget.
        await using var blocker = await RawAgent.ConnectAsync(server);
        using var http = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task ClosedBeforeRegistering_FreesTheSlot()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.MaxConcurrentHandshakes = 1);
        var admission = server.Services.GetRequiredService<HandshakeAdmission>();

        var quitter = await RawAgent.ConnectAsync(server);
        Assert.Equal(1, admission.Active);
        await quitter.DisposeAsync();

        await Wait.UntilAsync(() => admission.Active == 0, "the closed connection's slot is freed");
        await using var next = await RawAgent.RegisterAsync(server, "after-quitter");
    }

    [Fact]
    public async Task Agent_TurnedAway_HonoursRetryAfter_AndConnectsWhenThereIsRoom()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.MaxConcurrentHandshakes = 1;
            o.HandshakeRetryAfter = TimeSpan.FromSeconds(1);
        });
        var admission = server.Services.GetRequiredService<HandshakeAdmission>();
        var holder = await RawAgent.ConnectAsync(server);

        await using var agent = server.NewAgent("patient").Configure(o => o.RetryInitialConnection = true).Build();
        var sinceFirstAttempt = System.Diagnostics.Stopwatch.StartNew();
        var connecting = agent.ConnectAsync();
        await Wait.UntilAsync(() => admission.Rejected >= 1, "the agent's connect is turned away");
        await holder.DisposeAsync();

        // The slot is free at once, but the agent was told to come back after 1 s (its own jitter alone
        // would retry within half a second).
        await Wait.ForAsync(connecting, "the agent connects once the slot is free");
        Assert.True(sinceFirstAttempt.Elapsed >= TimeSpan.FromSeconds(1), $"The agent came back {sinceFirstAttempt.Elapsed.TotalMilliseconds:0} ms after its first attempt, before the 1 s Retry-After.");
        await Wait.UntilAsync(() => server.Registry.GetAgent("patient")?.Status == AgentStatus.Ready, "the agent is Ready");
    }

    [Fact]
    public async Task OneNode_HoldsAtMostItsShare_OtherNodesStillConnect()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.MaxConcurrentHandshakesPerNode = 2);
        using var kit = new Security.Nodes.NodeTestKit(server);
        var hog = await kit.EnrollApprovedAsync("hog", "echo");
        var other = await kit.EnrollApprovedAsync("other", "echo");
        var admission = server.Services.GetRequiredService<HandshakeAdmission>();

        // The hog opens connections it never registers: two are admitted, the third is turned away.
        using var first = await OpenAsync(server, await kit.Enrollment.ConnectCredentialAsync(hog));
        using var second = await OpenAsync(server, await kit.Enrollment.ConnectCredentialAsync(hog));
        using var third = new ClientWebSocket();
        third.Options.CollectHttpResponseDetails = true;
        third.Options.SetRequestHeader("Authorization", "Bearer " + await kit.Enrollment.ConnectCredentialAsync(hog));
        await Assert.ThrowsAsync<WebSocketException>(() => third.ConnectAsync(WebSocketUrl(server), CancellationToken.None));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.HttpStatusCode);
        Assert.Contains("This node already has 2 connections in handshake", string.Join(",", third.HttpResponseHeaders!["X-OrbitMesh-Error"]), StringComparison.Ordinal);
        Assert.Equal(2, admission.Active);
        await using var agent = kit.NewNodeAgent(other).RegisterHandler("echo", c => c.Parameters).Build();
        await agent.ConnectAsync();
        await server.WaitForAgentAsync("other", AgentStatus.Ready);
    }

    [Fact]
    public async Task OneAddress_HoldsAtMostItsShare_OtherAddressesStillConnect()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.MaxConcurrentHandshakesPerAddress = 1);
        var admission = server.Services.GetRequiredService<HandshakeAdmission>();
        using var holder = await OpenAsync(server, TestMeshServer.AgentToken);

        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        refused.Options.SetRequestHeader("Authorization", "Bearer " + TestMeshServer.AgentToken);
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(WebSocketUrl(server), CancellationToken.None));
        using var elsewhere = await OpenAsync(server, TestMeshServer.AgentToken, IPAddress.Parse("127.0.0.2"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.HttpStatusCode);
        Assert.Contains("Too many connections from this address", string.Join(",", refused.HttpResponseHeaders!["X-OrbitMesh-Error"]), StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, elsewhere.State);
        Assert.Equal(2, admission.Active);
    }

    private static Uri WebSocketUrl(TestMeshServer server) => new UriBuilder(server.HubUrl) { Scheme = "ws" }.Uri;

    /// <summary>A WebSocket to the hub that never sends the SignalR handshake: it holds a handshake slot until closed.</summary>
    private static async Task<ClientWebSocket> OpenAsync(TestMeshServer server, string credential, IPAddress? from = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + credential);
        if (from is null)
        {
            await socket.ConnectAsync(WebSocketUrl(server), CancellationToken.None);
            return socket;
        }

        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var raw = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    raw.Bind(new IPEndPoint(from, 0));
                    await raw.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(raw, ownsSocket: true);
                }
                catch
                {
                    raw.Dispose();
                    throw;
                }
            },
        });
        await socket.ConnectAsync(WebSocketUrl(server), invoker, CancellationToken.None);
        return socket;
    }
}
