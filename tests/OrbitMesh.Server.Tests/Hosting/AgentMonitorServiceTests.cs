using Microsoft.AspNetCore.SignalR.Client;
using System.Diagnostics;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Hosting;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Hosting;

/// <summary>Liveness on a real server with short intervals: Unreachable, silent connections, registration timeout, retention.</summary>
public sealed class AgentMonitorServiceTests
{
    [Fact]
    public void UnreachableAfter_IsMissedBeatsPlusHalfAnInterval()
    {
        var options = new OrbitMeshServerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100), MissedHeartbeatsAllowed = 3 };

        Assert.Equal(TimeSpan.FromMilliseconds(350), AgentMonitorService.UnreachableAfter(options));
    }

    [Fact]
    public async Task Heartbeat_Stops_AgentIsMarkedUnreachableThenReadyOnItsNextHeartbeat()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.MissedHeartbeatsAllowed = 3;
        });
        await using var agent = await RawAgent.ConnectAsync(server);
        var watch = Stopwatch.StartNew();
        await agent.RegisterAsync(Registrations.Valid("quiet"));

        await server.WaitForAgentAsync("quiet", AgentStatus.Unreachable);

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(350), $"marked Unreachable after {watch.ElapsedMilliseconds} ms, before (3 + 0.5) x 100 ms");
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2010 && e.Message.Contains("quiet", StringComparison.Ordinal)), "Unreachable is logged (2010)");
        Assert.False(server.Logs.Contains(2008));

        await agent.HeartbeatAsync();

        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent("quiet")?.Status);
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2008 && e.Message.Contains("quiet", StringComparison.Ordinal)), "the recovery is logged (2008)");
    }

    [Fact]
    public async Task Heartbeat_OnTime_AMeshAgentStaysReady()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
            o.MissedHeartbeatsAllowed = 3;
        });
        await using var agent = server.NewAgent("steady").Build();
        await agent.ConnectAsync();
        var registeredAt = server.Registry.GetAgent("steady")!.ConnectedAt;

        // Six intervals: well past the Unreachable threshold of 1.75 s. The interval leaves a beat 1.25 s of
        // slack before it counts as missed, so a loaded machine's scheduling delays do not fail the test.
        await Wait.UntilAsync(() => server.Registry.GetAgent("steady")!.LastHeartbeatAt > registeredAt + TimeSpan.FromMilliseconds(3000), "the agent kept heartbeating for 3 s");

        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent("steady")?.Status);
        Assert.False(server.Logs.Contains(2010), "an agent that heartbeats on time is never Unreachable");
        Assert.Equal(8, server.Registry.GetAgent("steady")!.Load!.MaxConcurrentJobs);
    }

    [Fact]
    public async Task SilentConnection_LongerThanClientTimeout_IsClosedAndTheAgentDisconnected()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(600);
        });
        await using var witness = await Witness.StartAsync(server);
        await using var silent = await RawHubSocket.ConnectAsync(server);
        var watch = Stopwatch.StartNew();
        await silent.RegisterAsync("mute");

        await Wait.ForAsync(silent.Closed, "the server to close the silent connection");

        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(600), $"closed after {watch.ElapsedMilliseconds} ms, before the 600 ms client timeout");
        await server.WaitForAgentAsync("mute", AgentStatus.Disconnected);
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2051 && e.Message.Contains("mute", StringComparison.Ordinal)), "the close is logged (2051)");
        await Witness.AssertServedAsync(server);
    }

    [Fact]
    public async Task SilentConnection_TheServerSaysItIsClosing()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(400);
        });
        await using var agent = await RawAgent.ConnectAsync(server, b => b.WithKeepAliveInterval(TimeSpan.FromMilliseconds(50)));
        await agent.RegisterAsync(Registrations.Valid("pings-only"));

        // Keep-alive pings are not heartbeats: an agent whose heartbeat loop died is closed too.
        await Wait.ForAsync(agent.Closed, "the server to close the connection");
        await server.WaitForAgentAsync("pings-only", AgentStatus.Disconnected);
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2051 && e.Message.Contains("pings-only", StringComparison.Ordinal)), "the close is logged (2051)");
    }

    [Fact]
    public async Task ClientTimeoutShorterThanTheHeartbeat_IsRefusedAtStart()
    {
        // Otherwise every agent that heartbeats on time would be cut off as "silent" between two beats.
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(500);
        }));

        Assert.Contains("ClientTimeoutInterval (00:00:00.5000000) must be longer than HeartbeatInterval (00:00:01)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NeverRegisters_IsClosedAfterTheRegistrationTimeoutWithANotice()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.RegistrationTimeout = TimeSpan.FromMilliseconds(300));
        await using var witness = await Witness.StartAsync(server);
        var watch = Stopwatch.StartNew();
        await using var lurker = await RawAgent.ConnectAsync(server);

        var notice = await Wait.ForAsync(lurker.FirstNotice, "the registration timeout notice");
        await Wait.ForAsync(lurker.Closed, "the server to close the connection");

        Assert.Equal(DisconnectCodes.RegistrationTimeout, notice.Code);
        Assert.True(notice.Reconnect);
        Assert.Contains("did not call Register within 0.3 s", notice.Reason, StringComparison.Ordinal);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), $"closed after {watch.ElapsedMilliseconds} ms, before the 300 ms timeout");
        Assert.True(server.Logs.Contains(2050), "the timeout is logged (2050)");
        Assert.Equal(0, server.Services.GetRequiredService<OrbitMesh.Server.Agents.UnregisteredConnections>().Count);
        await Witness.AssertServedAsync(server);
    }

    [Fact]
    public async Task Registers_InTime_IsNotClosed()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.RegistrationTimeout = TimeSpan.FromMilliseconds(300));
        await using var agent = await RawAgent.RegisterAsync(server, "punctual");
        var registeredAt = server.Registry.GetAgent("punctual")!.ConnectedAt;

        await Wait.UntilAsync(() => DateTimeOffset.UtcNow > registeredAt + TimeSpan.FromMilliseconds(900), "three registration timeouts passed");
        await agent.HeartbeatAsync();

        Assert.Empty(agent.Notices);
        Assert.False(server.Logs.Contains(2050));
        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent("punctual")?.Status);
    }

    [Fact]
    public async Task DisconnectedAgent_IsForgottenAfterTheRetention()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.DisconnectedAgentRetention = TimeSpan.FromMilliseconds(500));
        await using var staying = await RawAgent.RegisterAsync(server, "staying");
        var leaving = await RawAgent.RegisterAsync(server, "leaving");
        await leaving.DisposeAsync();
        await server.WaitForAgentAsync("leaving", AgentStatus.Disconnected);
        var disconnectedAt = server.Registry.GetAgent("leaving")!.DisconnectedAt!.Value;

        await Wait.UntilAsync(() => server.Registry.GetAgent("leaving") is null, "the disconnected agent is forgotten");

        Assert.True(DateTimeOffset.UtcNow - disconnectedAt >= TimeSpan.FromMilliseconds(500));
        Assert.Equal(["staying"], server.Registry.GetAgents().Select(a => a.Id));
    }

    [Fact]
    public async Task AgentProcessKilled_IsDisconnectedPromptly()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var witness = await Witness.StartAsync(server);
        await using var raw = await RawHubSocket.ConnectAsync(server);
        await raw.RegisterAsync("doomed");

        raw.Abort();

        // Well inside the default 30 s client timeout: the dropped TCP connection is noticed at once.
        await server.WaitForAgentAsync("doomed", AgentStatus.Disconnected, TimeSpan.FromSeconds(10));
        await Witness.AssertServedAsync(server);
    }

    [Fact]
    public async Task MeshAgentDisposed_IsDisconnectedPromptly()
    {
        await using var server = await TestMeshServer.StartAsync();
        var agent = server.NewAgent("stopping").Build();
        await agent.ConnectAsync();

        await agent.DisposeAsync();

        await server.WaitForAgentAsync("stopping", AgentStatus.Disconnected, TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2005 && e.Message.Contains("stopping", StringComparison.Ordinal)), "the disconnect is logged (2005)");
    }
}
