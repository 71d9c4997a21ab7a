using System.Diagnostics;
using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Server.Tests.Hubs;

/// <summary>A second connection registering an id that is already connected replaces the first.</summary>
public sealed class AgentHubReplacementTests
{
    [Fact]
    public async Task Register_DuplicateId_ReplacesOldConnection()
    {
        var grace = TimeSpan.FromMilliseconds(300);
        await using var server = await TestMeshServer.StartAsync(o => o.ReplacedConnectionGracePeriod = grace);
        await using var first = await RawAgent.RegisterAsync(server, "dup", capabilities: ["old"]);
        await using var second = await RawAgent.ConnectAsync(server);
        var watch = Stopwatch.StartNew();

        var result = await second.RegisterAsync(Registrations.Valid("dup", capabilities: ["new"]));

        Assert.True(result.ReplacedExisting);
        var notice = await Wait.ForAsync(first.FirstNotice, "the replaced connection's notice");
        Assert.Equal(DisconnectCodes.Replaced, notice.Code);
        Assert.False(notice.Reconnect);
        Assert.Contains("Another connection registered as agent 'dup'", notice.Reason, StringComparison.Ordinal);

        // The raw client ignores the notice, so the server closes it once the grace period is over.
        await Wait.ForAsync(first.Closed, "the server to close the replaced connection");
        var oldConnection = first.Registration!.ConnectionId;
        Assert.True(watch.Elapsed >= grace - TimeSpan.FromMilliseconds(50), $"closed after {watch.ElapsedMilliseconds} ms, before the {grace.TotalMilliseconds} ms grace period");
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2031 && e.Message.Contains(oldConnection, StringComparison.Ordinal) && e.Message.Contains("replaced", StringComparison.Ordinal)), "the abort is logged (2031)");
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2004 && e.Message.Contains(oldConnection, StringComparison.Ordinal)), "the replacement is logged (2004)");

        // The old connection's disconnect does not touch the agent, which lives on the new connection.
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2007 && e.Message.Contains(oldConnection, StringComparison.Ordinal)), "the old connection's close was handled");
        var registry = server.Services.GetRequiredService<AgentRegistry>();
        Assert.True(registry.TryGetConnectionId("dup", out var connectionId));
        Assert.Equal(result.ConnectionId, connectionId);
        var info = server.Registry.GetAgent("dup")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Equal(["new"], info.Capabilities);
        Assert.Equal(1, server.Registry.ConnectedCount);
        Assert.Equal(HubConnectionState.Connected, second.Connection.State);
        Assert.Empty(second.Notices);
    }

    [Fact]
    public async Task Register_DuplicateId_TheReplacedConnectionLeavesItsGroups()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.ReplacedConnectionGracePeriod = TimeSpan.FromSeconds(30));
        await using var first = await RawAgent.RegisterAsync(server, "grouped", capabilities: ["gpu"]);
        await using var second = await RawAgent.RegisterAsync(server, "grouped", capabilities: ["gpu"]);
        await Wait.ForAsync(first.FirstNotice, "the replaced connection's notice");
        var hub = server.Services.GetRequiredService<IHubContext<AgentHub>>();
        Assert.Equal(HubConnectionState.Connected, first.Connection.State);

        await hub.Clients.Group(AgentGroups.Capability("gpu")).SendAsync(RawAgent.ProbeMethod, "to-gpu");
        await hub.Clients.All.SendAsync(RawAgent.ProbeMethod, "everyone");

        await Wait.UntilAsync(() => first.Probes.Contains("everyone") && second.Probes.Contains("everyone"), "both connections received the broadcast");
        Assert.Equal(["to-gpu", "everyone"], second.Probes);
        Assert.True(
            first.Probes.SequenceEqual(["everyone"]),
            "the replaced connection, still open during its grace period, is still in the agent's groups: " + string.Join(", ", first.Probes));
    }

    [Fact]
    public async Task Heartbeat_FromTheReplacedConnection_IsRefused()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.ReplacedConnectionGracePeriod = TimeSpan.FromSeconds(30));
        await using var first = await RawAgent.RegisterAsync(server, "dup");
        await using var second = await RawAgent.RegisterAsync(server, "dup");
        await Wait.ForAsync(first.FirstNotice, "the replaced connection's notice");

        var error = await Assert.ThrowsAsync<HubException>(() => first.HeartbeatAsync());

        Assert.Contains("This connection is not registered (or was replaced); reconnect and register.", error.Message, StringComparison.Ordinal);
        await second.HeartbeatAsync();
        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent("dup")?.Status);
    }

    [Fact]
    public async Task Register_DuplicateIdWithMeshAgents_TheReplacedAgentClosesWithReplacedAndStaysDown()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.ReplacedConnectionGracePeriod = TimeSpan.FromMilliseconds(300));
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnecting = 0;
        await using var original = server.NewAgent("twin").RegisterHandler("who", _ => "original").Build();
        original.Closed += error =>
        {
            closed.TrySetResult(error);
            return Task.CompletedTask;
        };
        original.Reconnecting += _ =>
        {
            Interlocked.Increment(ref reconnecting);
            return Task.CompletedTask;
        };
        await original.ConnectAsync();
        Assert.Equal("original", await server.Mesh.InvokeAsync<string>("twin", "who"));

        await using var newcomer = server.NewAgent("twin").RegisterHandler("who", _ => "newcomer").Build();
        await newcomer.ConnectAsync();

        var error = await Wait.ForAsync(closed.Task, "the replaced agent to close");
        var exception = Assert.IsType<MeshConnectionException>(error);
        Assert.Equal(DisconnectCodes.Replaced, exception.Code);
        Assert.False(exception.IsRetryable);
        Assert.True(newcomer.Registration!.ReplacedExisting);
        Assert.Equal(HubConnectionState.Disconnected, original.State);
        Assert.False(original.IsRegistered);
        Assert.Equal(0, Volatile.Read(ref reconnecting));

        // The replaced agent closed by itself on the notice, so the server has nothing to abort, even
        // once the grace period is over.
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2007), "the old connection's close was handled");
        var noticeSeen = DateTimeOffset.UtcNow;
        await Wait.UntilAsync(() => DateTimeOffset.UtcNow > noticeSeen + TimeSpan.FromMilliseconds(900), "three grace periods passed");
        Assert.False(server.Logs.Contains(2031), "a connection that closed by itself is not aborted");
        Assert.Equal("newcomer", await server.Mesh.InvokeAsync<string>("twin", "who"));
        Assert.True(server.Services.GetRequiredService<AgentRegistry>().TryGetConnectionId("twin", out var connectionId));
        Assert.Equal(newcomer.Registration.ConnectionId, connectionId);
        Assert.Equal(1, server.Registry.ConnectedCount);
        Assert.Equal(AgentStatus.Ready, server.Registry.GetAgent("twin")?.Status);
    }

    [Fact]
    public async Task Register_SameIdFromManyConnectionsAtOnce_ExactlyOneSurvives()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.ReplacedConnectionGracePeriod = TimeSpan.FromMilliseconds(100));
        var agents = new List<RawAgent>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                agents.Add(await RawAgent.ConnectAsync(server));
            }

            await Task.WhenAll(agents.Select(a => a.RegisterAsync(Registrations.Valid("contested"))));

            await Wait.UntilAsync(() => agents.Count(a => a.Closed.IsCompleted) == 5, "five of the six connections were replaced and closed");
            var survivor = Assert.Single(agents, a => !a.Closed.IsCompleted);
            Assert.Empty(survivor.Notices);
            Assert.All(agents.Where(a => a != survivor), a => Assert.Equal(DisconnectCodes.Replaced, Assert.Single(a.Notices).Code));
            Assert.True(server.Services.GetRequiredService<AgentRegistry>().TryGetConnectionId("contested", out var connectionId));
            Assert.Equal(survivor.Registration!.ConnectionId, connectionId);
            Assert.Equal(1, server.Registry.ConnectedCount);
            await survivor.HeartbeatAsync();
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }
}
