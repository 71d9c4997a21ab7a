using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Server.Tests.Hubs;

/// <summary>Registration and heartbeats through the real hub, with the transport client as a raw agent.</summary>
public sealed class AgentHubTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private Agent.MeshAgent _witness = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromSeconds(2);
            o.MissedHeartbeatsAllowed = 4;
        });
        _witness = await Witness.StartAsync(_server);
    }

    public async Task DisposeAsync()
    {
        await _witness.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Register_Valid_ReturnsTheResultWithTheConfiguredHeartbeat()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);
        var before = DateTimeOffset.UtcNow;

        var result = await agent.RegisterAsync(Registrations.Valid("node-a"));

        Assert.Equal("node-a", result.AgentId);
        Assert.False(string.IsNullOrEmpty(result.ConnectionId));
        Assert.Equal(2000, result.HeartbeatIntervalMs);
        Assert.Equal(4, result.MissedHeartbeatsAllowed);
        Assert.False(result.ReplacedExisting);
        Assert.Equal(ServerInfo.Version, result.ServerVersion);
        Assert.InRange(result.ServerTime, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(_server.Services.GetRequiredService<AgentRegistry>().TryGetConnectionId("node-a", out var connectionId));
        Assert.Equal(result.ConnectionId, connectionId);
        Assert.True(_server.Logs.Contains(e => e.EventId.Id == 2002 && e.Message.Contains("node-a", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Register_KeepsTheIdAndMetadataInTheConnectionItems()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);
        await agent.RegisterAsync(Registrations.Valid("node-items") with { Metadata = new Dictionary<string, string> { ["rack"] = "7", ["zone"] = "eu-1" } });

        var context = _server.Services.GetRequiredService<AgentRegistry>().Find("node-items")!.Context!;
        Assert.Equal("node-items", context.Items[AgentHub.AgentIdItem]);
        var metadata = Assert.IsAssignableFrom<IReadOnlyDictionary<string, string>>(context.Items[AgentHub.MetadataItem]);
        Assert.Equal("7", metadata["rack"]);
        Assert.Equal("eu-1", metadata["zone"]);
    }

    [Fact]
    public async Task Register_Valid_TheAgentIsListedWithWhatItRegistered()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);
        await agent.RegisterAsync(new AgentRegistration
        {
            Id = "node-b",
            Capabilities = ["gpu", "gpu", "linux"],
            Groups = ["eu"],
            Commands = ["run", "stop"],
            Metadata = new Dictionary<string, string> { ["rack"] = "r7" },
            MaxConcurrentJobs = 3,
            Version = "9.9.9",
        });

        var info = _server.Registry.GetAgent("node-b");

        Assert.NotNull(info);
        Assert.Equal("node-b", info.Name);
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Equal(["gpu", "linux"], info.Capabilities);
        Assert.Equal(["eu"], info.Groups);
        Assert.Equal(["run", "stop"], info.Commands);
        Assert.Equal("r7", info.Metadata["rack"]);
        Assert.Equal("9.9.9", info.Version);
        Assert.Equal(new AgentLoad(0, 3, 0, 0), info.Load);
        Assert.Null(info.DisconnectedAt);
        Assert.Equal(2, _server.Registry.ConnectedCount);
    }

    [Fact]
    public async Task Register_Valid_JoinsTheAgentsCapabilityAndGroupGroups()
    {
        await using var gpu = await RawAgent.RegisterAsync(_server, "gpu-node", capabilities: ["gpu"], groups: ["eu"]);
        await using var cpu = await RawAgent.RegisterAsync(_server, "cpu-node", capabilities: ["cpu"], groups: ["us"]);
        var hub = _server.Services.GetRequiredService<IHubContext<AgentHub>>();

        await hub.Clients.Group(AgentGroups.Capability("gpu")).SendAsync(RawAgent.ProbeMethod, "cap:gpu");
        await hub.Clients.Group(AgentGroups.Group("us")).SendAsync(RawAgent.ProbeMethod, "group:us");
        await hub.Clients.Group(AgentGroups.All).SendAsync(RawAgent.ProbeMethod, "agents");

        // Messages to one connection arrive in order: once "agents" is in, anything else sent to it before is too.
        await Wait.UntilAsync(() => gpu.Probes.Contains("agents") && cpu.Probes.Contains("agents"), "both agents received the probe to 'agents'");
        Assert.Equal(["cap:gpu", "agents"], gpu.Probes);
        Assert.Equal(["group:us", "agents"], cpu.Probes);
    }

    [Fact]
    public async Task Register_Valid_TheTypedHubContextReachesTheGroup()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "typed", capabilities: ["x"]);
        var hub = _server.Services.GetRequiredService<IHubContext<AgentHub, IAgentClient>>();

        await hub.Clients.Group(AgentGroups.Capability("x")).Disconnect(new DisconnectNotice("test", "just a probe", Reconnect: true));

        var notice = await Wait.ForAsync(agent.FirstNotice, "the notice sent to cap:x");
        Assert.Equal("test", notice.Code);
        Assert.Equal(HubConnectionState.Connected, agent.Connection.State);
    }

    [Fact]
    public async Task Register_UnregisteredConnection_IsInNoGroup()
    {
        await using var registered = await RawAgent.RegisterAsync(_server, "in-group");
        await using var unregistered = await RawAgent.ConnectAsync(_server);
        var hub = _server.Services.GetRequiredService<IHubContext<AgentHub>>();

        await hub.Clients.Group(AgentGroups.All).SendAsync(RawAgent.ProbeMethod, "agents");
        await hub.Clients.All.SendAsync(RawAgent.ProbeMethod, "everyone");

        await Wait.UntilAsync(() => unregistered.Probes.Contains("everyone") && registered.Probes.Contains("everyone"), "both connections received the broadcast");
        Assert.Equal(["everyone"], unregistered.Probes);
        Assert.Equal(["agents", "everyone"], registered.Probes);
    }

    public static TheoryData<string, string> InvalidRegistrations => new()
    {
        { "empty id", "id is required." },
        { "129-char id", "is not valid: " + RegistrationValidator.AgentIdRule },
        { "control character in id", "is not valid: " + RegistrationValidator.AgentIdRule },
        { "slash in id", "id 'a/b' is not valid: " + RegistrationValidator.AgentIdRule },
        { "dot-dot id", "id '..' is not valid: " + RegistrationValidator.AgentIdRule },
        { "star id", "id '*' is not valid: " + RegistrationValidator.AgentIdRule },
        { "right-to-left override in id", "is not valid: " + RegistrationValidator.AgentIdRule },
        { "right-to-left override in capability", "capabilities entry 'gpu?' must be 1 to 128 characters without control characters or invisible format characters." },
        { "zero-width space in command", "commands entry 'run?' must be 1 to 128 characters without control characters or invisible format characters." },
        { "257 capabilities", "capabilities has 257 entries; at most 256 are allowed." },
        { "empty capability", "capabilities entry '' must be 1 to 128 characters without control characters or invisible format characters." },
        { "257 groups", "groups has 257 entries; at most 256 are allowed." },
        { "long name", "name must be at most 256 characters without control characters or invisible format characters." },
        { "empty metadata key", "metadata key '' must be 1 to 128 characters without control characters or invisible format characters." },
        { "long metadata value", "metadata value for 'k' must be present and at most 1024 characters." },
        { "65 metadata entries", "metadata has 65 entries; at most 64 are allowed." },
        { "maxConcurrentJobs 0", "maxConcurrentJobs must be between 1 and 10000; it was 0." },
        { "maxConcurrentJobs 10001", "maxConcurrentJobs must be between 1 and 10000; it was 10001." },
        { "protocolVersion 2", "protocolVersion 2 is not supported; this server speaks 1." },
        { "null registration", "The registration is missing." },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task Register_Invalid_IsRefusedWithAClearMessageAndLogged(string @case, string expected)
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var error = await Assert.ThrowsAsync<HubException>(() => agent.RegisterAsync(Invalid(@case)));

        Assert.Contains("HubException: Invalid registration: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.True(_server.Logs.Contains(e => e.EventId.Id == 2003 && e.Message.Contains(expected, StringComparison.Ordinal)), "the rejection is logged (2003)");
        Assert.Single(_server.Registry.GetAgents());
        Assert.Equal(1, _server.Services.GetRequiredService<UnregisteredConnections>().Count);

        // The connection stays usable: it can still register properly, and everyone else is served.
        Assert.Equal("fixed", (await agent.RegisterAsync(Registrations.Valid("fixed"))).AgentId);
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task Register_SeveralProblems_ListsThemAll()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var error = await Assert.ThrowsAsync<HubException>(() => agent.RegisterAsync(new AgentRegistration { Id = "", MaxConcurrentJobs = 0, ProtocolVersion = 7 }));

        Assert.Contains("id is required.", error.Message, StringComparison.Ordinal);
        Assert.Contains("maxConcurrentJobs must be between 1 and 10000", error.Message, StringComparison.Ordinal);
        Assert.Contains("protocolVersion 7 is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_TwiceOnTheSameConnection_IsRefused()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "once");

        var same = await Assert.ThrowsAsync<HubException>(() => agent.RegisterAsync(Registrations.Valid("once")));
        var other = await Assert.ThrowsAsync<HubException>(() => agent.RegisterAsync(Registrations.Valid("other-id")));

        Assert.Contains("This connection is already registered as agent 'once'. Reconnect to register again.", same.Message, StringComparison.Ordinal);
        Assert.Contains("already registered as agent 'once'", other.Message, StringComparison.Ordinal);
        Assert.Null(_server.Registry.GetAgent("other-id"));
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("once")?.Status);
        Assert.False(_server.Logs.Contains(e => e.EventId.Id == 2004), "nothing was replaced");
    }

    [Fact]
    public async Task Heartbeat_BeforeRegister_IsRefusedAndLogged()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var error = await Assert.ThrowsAsync<HubException>(() => agent.HeartbeatAsync());

        Assert.Contains("Call Register before 'Heartbeat'.", error.Message, StringComparison.Ordinal);
        Assert.True(_server.Logs.Contains(e => e.EventId.Id == 2020 && e.Message.Contains("'Heartbeat'", StringComparison.Ordinal)), "the refusal is logged (2020)");
        Assert.Equal(HubConnectionState.Connected, agent.Connection.State);
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task Heartbeat_Registered_RecordsTheLoadAndReturnsTheInterval()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "beating");
        var registeredAt = _server.Registry.GetAgent("beating")!.LastHeartbeatAt;

        var ack = await agent.HeartbeatAsync(activeJobs: 1);

        Assert.Equal(2000, ack.HeartbeatIntervalMs);
        var info = _server.Registry.GetAgent("beating")!;
        Assert.Equal(new AgentLoad(1, 2, 12.5, 1000), info.Load);
        Assert.True(info.LastHeartbeatAt >= registeredAt);
        Assert.Equal(AgentStatus.Ready, info.Status);
    }

    [Fact]
    public async Task Heartbeat_WithoutALoadReport_IsRefused()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "no-load");

        var error = await Assert.ThrowsAsync<HubException>(() => agent.Connection.InvokeAsync<HeartbeatAck>(HubMethodNames.Heartbeat, null));

        Assert.Contains("A heartbeat needs its load report.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disconnect_RegisteredAgent_IsMarkedDisconnectedAndLogged()
    {
        var agent = await RawAgent.RegisterAsync(_server, "leaving");

        await agent.DisposeAsync();

        await _server.WaitForAgentAsync("leaving", AgentStatus.Disconnected);
        var info = _server.Registry.GetAgent("leaving")!;
        Assert.NotNull(info.DisconnectedAt);
        Assert.False(_server.Services.GetRequiredService<AgentRegistry>().TryGetConnectionId("leaving", out _));
        await Wait.UntilAsync(() => _server.Logs.Contains(e => e.EventId.Id == 2005 && e.Message.Contains("leaving", StringComparison.Ordinal)), "the disconnect is logged (2005)");
        Assert.Equal(1, _server.Registry.ConnectedCount);
    }

    [Fact]
    public async Task Disconnect_UnregisteredConnection_IsForgotten()
    {
        var unregistered = _server.Services.GetRequiredService<UnregisteredConnections>();
        var agent = await RawAgent.ConnectAsync(_server);
        await Wait.UntilAsync(() => unregistered.Count == 1, "the connection is tracked as unregistered");

        await agent.DisposeAsync();

        await Wait.UntilAsync(() => unregistered.Count == 0, "the connection is no longer tracked");
        await Wait.UntilAsync(() => _server.Logs.Contains(2007), "the close is logged (2007)");
    }

    [Fact]
    public async Task Register_AfterDisconnect_TheSameIdComesBackReady()
    {
        var first = await RawAgent.RegisterAsync(_server, "returning");
        await first.DisposeAsync();
        await _server.WaitForAgentAsync("returning", AgentStatus.Disconnected);

        await using var second = await RawAgent.ConnectAsync(_server);
        var result = await second.RegisterAsync(Registrations.Valid("returning"));

        Assert.False(result.ReplacedExisting);
        var info = _server.Registry.GetAgent("returning")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Null(info.DisconnectedAt);
    }

    private static AgentRegistration? Invalid(string @case) => @case switch
    {
        "empty id" => Registrations.Valid(""),
        "129-char id" => Registrations.Valid(new string('x', 129)),
        "control character in id" => Registrations.Valid("bad\u0007id"),
        "slash in id" => Registrations.Valid("a/b"),
        "dot-dot id" => Registrations.Valid(".."),
        "star id" => Registrations.Valid("*"),
        "right-to-left override in id" => Registrations.Valid("abc\u202Eexe"),
        "right-to-left override in capability" => Registrations.Valid("caps", capabilities: ["gpu\u202E"]),
        "zero-width space in command" => Registrations.Valid("cmds") with { Commands = ["run\u200B"] },
        "257 capabilities" => Registrations.Valid("caps", capabilities: Enumerable.Range(0, 257).Select(i => "c" + i).ToArray()),
        "empty capability" => Registrations.Valid("caps", capabilities: ["ok", ""]),
        "257 groups" => Registrations.Valid("groups", groups: Enumerable.Range(0, 257).Select(i => "g" + i).ToArray()),
        "long name" => Registrations.Valid("named") with { Name = new string('n', 257) },
        "empty metadata key" => Registrations.Valid("meta") with { Metadata = new Dictionary<string, string> { [""] = "v" } },
        "long metadata value" => Registrations.Valid("meta") with { Metadata = new Dictionary<string, string> { ["k"] = new string('v', 1025) } },
        "65 metadata entries" => Registrations.Valid("meta") with { Metadata = Enumerable.Range(0, 65).ToDictionary(i => "k" + i, i => "v") },
        "maxConcurrentJobs 0" => Registrations.Valid("jobs") with { MaxConcurrentJobs = 0 },
        "maxConcurrentJobs 10001" => Registrations.Valid("jobs") with { MaxConcurrentJobs = 10_001 },
        "protocolVersion 2" => Registrations.Valid("proto") with { ProtocolVersion = 2 },
        "null registration" => null,
        _ => throw new ArgumentOutOfRangeException(nameof(@case), @case, "unknown case"),
    };
}
