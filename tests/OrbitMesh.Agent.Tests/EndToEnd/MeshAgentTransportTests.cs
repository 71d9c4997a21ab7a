using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Protocol;

namespace OrbitMesh.Agent.Tests.EndToEnd;

/// <summary>
/// What the official client brings: transports other than WebSockets, fallback when a network blocks
/// WebSockets, and stateful reconnect through a cut the test makes with its own TCP proxy.
/// </summary>
public sealed class MeshAgentTransportTests
{
    [Theory]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task Agent_OnlyThisTransport_RegistersAndServesInvocationsAndSentCommands(HttpTransportType transport)
    {
        await using var server = await TestMeshServer.StartAsync();
        var received = new ConcurrentQueue<int>();
        await using var agent = server.NewAgent("t-" + transport.ToString().ToLowerInvariant())
            .Configure(o => o.Transports = transport)
            .RegisterHandler("add", c => c.GetParameter<int>("a") + c.GetParameter<int>("b"))
            .RegisterHandler("record", c =>
            {
                received.Enqueue(c.GetParameter<int>("n"));
                return null;
            })
            .Build();
        await agent.ConnectAsync();

        Assert.Equal(5, await server.Mesh.InvokeAsync<int>(agent.Id, "add", new { a = 2, b = 3 }));
        for (var i = 0; i < 20; i++)
        {
            await server.Mesh.SendAsync(agent.Id, "record", new { n = i });
        }

        await Wait.UntilAsync(() => received.Count == 20, "the 20 sent commands to arrive");
        Assert.Equal(Enumerable.Range(0, 20), received);
        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent(agent.Id)?.Status);
    }

    [Fact]
    public async Task Agent_BehindAProxyThatBlocksWebSockets_FallsBackAndWorks()
    {
        var blockedUpgrades = 0;
        await using var server = await TestMeshServer.StartAsync(mapExtra: app => app.Use(async (context, next) =>
        {
            // What a WebSocket-hostile proxy answers: a bare 403, no OrbitMesh reason.
            if (context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref blockedUpgrades);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            await next(context);
        }));
        await using var agent = server.NewAgent("behind-proxy").RegisterHandler("ping", _ => "pong").Build();

        await agent.ConnectAsync();

        Assert.True(Volatile.Read(ref blockedUpgrades) >= 1, "the agent tried WebSockets first");
        Assert.Equal("pong", await server.Mesh.InvokeAsync<string>(agent.Id, "ping"));
    }

    [Fact]
    public async Task StatefulReconnect_AShortCut_LosesNoMessageEitherWayAndDoesNotRegisterAgain()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.AllowStatefulReconnects = true);
        await using var proxy = new TcpProxy(server.Url);
        var received = new ConcurrentQueue<int>();
        var reconnecting = 0;
        await using var agent = server.NewAgent("stateful")
            .WithServer(proxy.Url)
            .Configure(o =>
            {
                o.StatefulReconnect = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .RegisterHandler("record", c =>
            {
                received.Enqueue(c.GetParameter<int>("n"));
                return null;
            })
            .Build();
        agent.Reconnecting += _ => { Interlocked.Increment(ref reconnecting); return Task.CompletedTask; };
        await agent.ConnectAsync();
        var connectionsBefore = proxy.Accepted;

        Assert.Equal(1, await agent.Twin.ReportAsync(new { firmware = "2.0" }));

        // Server to agent: commands sent before, during and after the cut.
        for (var i = 0; i < 50; i++)
        {
            await server.Mesh.SendAsync(agent.Id, "record", new { n = i });
        }

        Assert.True(proxy.CutAll() >= 1, "the proxy had the agent's connection to cut");
        for (var i = 50; i < 100; i++)
        {
            await server.Mesh.SendAsync(agent.Id, "record", new { n = i });
        }

        // Agent to server: a twin report made while the connection is being resumed.
        var version = await Wait.ForAsync(agent.Twin.ReportAsync(new { firmware = "2.1" }), "the report made across the cut");

        await Wait.UntilAsync(() => received.Count == 100, "every command sent across the cut to arrive");
        Assert.Equal(Enumerable.Range(0, 100), received);
        // The server stored the report made across the cut as the next version, once.
        Assert.Equal(2, version);
        Assert.True(proxy.Accepted > connectionsBefore, "the agent resumed over a new TCP connection");
        Assert.Equal(0, Volatile.Read(ref reconnecting));
        Assert.Equal(HubConnectionState.Connected, agent.State);
        Assert.True(agent.IsRegistered);
    }

    [Fact]
    public async Task StatefulReconnect_ALongCut_FallsBackToReconnectingAndRegistering()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.AllowStatefulReconnects = true);
        await using var proxy = new TcpProxy(server.Url);
        var reconnected = new TaskCompletionSource<RegistrationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = server.NewAgent("stateful-long")
            .WithServer(proxy.Url)
            .Configure(o =>
            {
                o.StatefulReconnect = true;
                o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
            })
            .RegisterHandler("ping", _ => "pong")
            .Build();
        agent.Reconnected += r => { reconnected.TrySetResult(r); return Task.CompletedTask; };
        await agent.ConnectAsync();

        proxy.Blocked = true;
        proxy.CutAll();
        await Wait.UntilAsync(() => agent.State == HubConnectionState.Reconnecting, "the resume to fail and the agent to reconnect");
        proxy.Blocked = false;

        await Wait.ForAsync(reconnected.Task, "the agent to reconnect and register again");
        Assert.Equal("pong", await server.Mesh.InvokeAsync<string>(agent.Id, "ping"));
    }

    [Fact]
    public async Task ServerAbortsTheConnection_TheAgentConnectsAgainAndRegisters()
    {
        // A hub-side Abort (the silent-connection sweep, an expired node credential) sends Close without
        // "allow reconnect": the official client stops there, the agent starts over.
        var contexts = new HubContextCapture();
        await using var server = await TestMeshServer.StartAsync(services: s => s.Configure<HubOptions>(o => o.AddFilter(contexts)));
        var reconnected = new TaskCompletionSource<RegistrationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = 0;
        await using var agent = server.NewAgent("aborted")
            .Configure(o =>
            {
                o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
                o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
            })
            .RegisterHandler("ping", _ => "pong")
            .Build();
        agent.Reconnected += r => { reconnected.TrySetResult(r); return Task.CompletedTask; };
        agent.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };
        await agent.ConnectAsync();
        var first = agent.Registration!.ConnectionId;

        Assert.True(contexts.ByConnection.TryGetValue(first, out var context), "the hub saw the agent's Register");
        context!.Abort();

        var registration = await Wait.ForAsync(reconnected.Task, "the agent to connect again and register");
        Assert.NotEqual(first, registration.ConnectionId);
        Assert.Equal("pong", await server.Mesh.InvokeAsync<string>(agent.Id, "ping"));
        Assert.Equal(0, Volatile.Read(ref closed));
    }

    /// <summary>Remembers the hub context of every connection that invoked a hub method.</summary>
    private sealed class HubContextCapture : IHubFilter
    {
        public ConcurrentDictionary<string, HubCallerContext> ByConnection { get; } = new(StringComparer.Ordinal);

        public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            ByConnection[invocationContext.Context.ConnectionId] = invocationContext.Context;
            return next(invocationContext);
        }
    }
}
