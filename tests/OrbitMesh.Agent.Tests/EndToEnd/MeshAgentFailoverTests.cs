using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Agent.Tests.EndToEnd;

/// <summary>An agent given several servers (<see cref="MeshAgentOptions.FailoverServers"/>) moves to the next when its own cannot be reached.</summary>
public sealed class MeshAgentFailoverTests
{
    [Fact]
    public async Task ConnectAsync_FirstServerDown_ConnectsToTheNextAtOnce()
    {
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = new MeshAgentBuilder()
            .WithServer(dead)
            .WithFailoverServers(server.Url)
            .WithToken(TestMeshServer.AgentToken)
            .WithId("fo-first-down")
            .RegisterHandler("echo", c => c.Parameters)
            .Build();

        // Without RetryInitialConnection: one attempt has to reach the second server, not the reconnect policy.
        await agent.ConnectAsync();

        Assert.True(agent.IsRegistered);
        Assert.Equal(server.HubUrl, agent.ConnectedServer);
        Assert.Equal("hi", await server.Mesh.InvokeAsync<string>("fo-first-down", "echo", "hi"));
    }

    [Fact]
    public async Task ServerKilled_TheAgentReconnectsToAnotherAndRegistersThere_ThenBackWhenThatOneGoes()
    {
        var a = await TestMeshServer.StartAsync();
        await using var b = await TestMeshServer.StartAsync();
        var registrations = new ConcurrentQueue<Protocol.RegistrationResult>();
        var closed = 0;
        await using var agent = a.NewAgent("fo-move").WithFailoverServers(b.Url).RegisterHandler("echo", c => c.Parameters).Build();
        agent.Reconnected += r => { registrations.Enqueue(r); return Task.CompletedTask; };
        agent.Closed += _ => { Interlocked.Increment(ref closed); return Task.CompletedTask; };
        await agent.ConnectAsync();
        Assert.Equal(a.HubUrl, agent.ConnectedServer);
        await a.WaitForAgentAsync("fo-move", AgentStatus.Ready);
        var port = a.Port;

        await a.DisposeAsync();

        await Wait.UntilAsync(() => !registrations.IsEmpty && agent.IsRegistered, "the agent to register with the other server");
        Assert.Equal(b.HubUrl, agent.ConnectedServer);
        await b.WaitForAgentAsync("fo-move", AgentStatus.Ready);
        Assert.Equal("on b", await b.Mesh.InvokeAsync<string>("fo-move", "echo", "on b"));

        // A comes back on its port and B goes away: the agent returns to A, its list being a ring.
        await using var restarted = await TestMeshServer.StartAsync(port: port);
        await b.DisposeAsync();
        await Wait.UntilAsync(() => registrations.Count >= 2 && agent.IsRegistered && agent.ConnectedServer == restarted.HubUrl, "the agent to go back to the restarted first server");
        await restarted.WaitForAgentAsync("fo-move", AgentStatus.Ready);
        Assert.Equal("back", await restarted.Mesh.InvokeAsync<string>("fo-move", "echo", "back"));
        Assert.Equal(0, Volatile.Read(ref closed));
        Assert.Equal(HubConnectionState.Connected, agent.State);
    }

    [Fact]
    public async Task AServerThatRefusesTheToken_DoesNotHoldBackTheNextOne()
    {
        await using var refusing = await TestMeshServer.StartAsync(o => o.AgentTokens.Clear());
        await using var accepting = await TestMeshServer.StartAsync();
        await using var agent = new MeshAgentBuilder()
            .WithServer(refusing.Url)
            .WithFailoverServers(accepting.Url)
            .WithToken(TestMeshServer.AgentToken)
            .WithId("fo-refused")
            .Build();

        await agent.ConnectAsync();

        Assert.Equal(accepting.HubUrl, agent.ConnectedServer);
    }

    [Fact]
    public void Build_AFailoverServerWithAnotherScheme_IsRefused()
    {
        var error = Assert.Throws<OrbitMeshException>(() => new MeshAgentBuilder()
            .WithServer("https://127.0.0.1:5443")
            .WithFailoverServers(new Uri("http://127.0.0.1:5080"), new Uri("ftp://127.0.0.1:2121"))
            .WithToken("t")
            .Build());

        Assert.Contains("'http://127.0.0.1:5080/' must use TLS", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ftp://127.0.0.1:2121/' must use http or https", error.Message, StringComparison.Ordinal);
    }
}
