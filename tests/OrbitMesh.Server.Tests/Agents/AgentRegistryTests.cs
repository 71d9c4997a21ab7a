using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Agents;

/// <summary>The registry on its own, with a manual clock.</summary>
public sealed class AgentRegistryTests : IDisposable
{
    private static readonly TimeSpan UnreachableAfter = TimeSpan.FromSeconds(17.5);
    private static readonly TimeSpan CloseAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private readonly ManualTimeProvider _time = new();
    private readonly CapturedLogs _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly AgentRegistry _registry;

    public AgentRegistryTests()
    {
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug));
        _registry = new AgentRegistry(_time, new OrbitMesh.Server.Jobs.AgentSlots(), _loggerFactory.CreateLogger<AgentRegistry>());
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public void Register_New_IsReadyWithTheRegistrationTime()
    {
        var context = new FakeCallerContext("c1");

        var outcome = _registry.Register("c1", context, Registrations.Valid("a", capabilities: ["x", "x", "y"]));

        Assert.Null(outcome.Replaced);
        var info = _registry.GetAgent("a")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Equal(_time.GetUtcNow(), info.ConnectedAt);
        Assert.Equal(_time.GetUtcNow(), info.LastHeartbeatAt);
        Assert.Equal(["x", "y"], info.Capabilities);
        Assert.Same(outcome.Agent, _registry.FindByConnection("c1"));
        Assert.True(_registry.TryGetConnectionId("a", out var connectionId));
        Assert.Equal("c1", connectionId);
        Assert.Equal(1, _registry.ConnectedCount);
    }

    [Fact]
    public void Sweep_AtTheUnreachableThreshold_StaysReadyAndJustAfterIsUnreachable()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));

        _time.Advance(UnreachableAfter);
        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Ready, _registry.GetAgent("a")!.Status);

        _time.Advance(TimeSpan.FromTicks(1));
        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Unreachable, _registry.GetAgent("a")!.Status);
        Assert.Single(_logs.Entries, e => e.EventId.Id == 2010);
    }

    [Fact]
    public void Sweep_UnreachableAgent_IsLoggedOnlyOnce()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _time.Advance(UnreachableAfter + TimeSpan.FromSeconds(1));

        for (var i = 0; i < 5; i++)
        {
            _registry.Sweep(UnreachableAfter, CloseAfter, Retention);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Single(_logs.Entries, e => e.EventId.Id == 2010);
    }

    [Fact]
    public void Heartbeat_AfterUnreachable_BringsItBackToReady()
    {
        var outcome = _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _time.Advance(UnreachableAfter + TimeSpan.FromSeconds(1));
        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);

        var recovered = _registry.Heartbeat(outcome.Agent, new AgentLoad(1, 2, 3, 4));

        Assert.True(recovered);
        var info = _registry.GetAgent("a")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Equal(_time.GetUtcNow(), info.LastHeartbeatAt);
        Assert.Equal(new AgentLoad(1, 2, 3, 4), info.Load);
        Assert.False(_registry.Heartbeat(outcome.Agent, AgentLoad.Idle), "a heartbeat of a Ready agent is not a recovery");
    }

    [Fact]
    public void Heartbeat_ResetsTheUnreachableClock()
    {
        var outcome = _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(UnreachableAfter - TimeSpan.FromSeconds(1));
            _registry.Heartbeat(outcome.Agent, AgentLoad.Idle);
            Assert.Empty(_registry.Sweep(UnreachableAfter, CloseAfter, Retention));
        }

        Assert.Equal(AgentStatus.Ready, _registry.GetAgent("a")!.Status);
    }

    [Fact]
    public void Sweep_ReturnsOnlyConnectionsSilentLongerThanCloseAfter()
    {
        var quiet = new FakeCallerContext("c1");
        var chatty = new FakeCallerContext("c2");
        _registry.Register("c1", quiet, Registrations.Valid("quiet"));
        var chattyOutcome = _registry.Register("c2", chatty, Registrations.Valid("chatty"));

        _time.Advance(CloseAfter);
        _registry.Heartbeat(chattyOutcome.Agent, AgentLoad.Idle);
        Assert.Empty(_registry.Sweep(UnreachableAfter, CloseAfter, Retention));

        _time.Advance(TimeSpan.FromTicks(1));
        var silent = _registry.Sweep(UnreachableAfter, CloseAfter, Retention);

        var (agentId, context) = Assert.Single(silent);
        Assert.Equal("quiet", agentId);
        Assert.Same(quiet, context);
        Assert.False(quiet.WasAborted, "the registry only reports; the monitor closes");
    }

    [Fact]
    public void Sweep_DisconnectedAgents_AreNotReportedAndForgottenAfterTheRetention()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("gone"));
        _registry.Register("c2", new FakeCallerContext("c2"), Registrations.Valid("connected"));
        Assert.NotNull(_registry.Unregister("c1"));

        _time.Advance(Retention);
        var silent = _registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Disconnected, _registry.GetAgent("gone")!.Status);
        Assert.DoesNotContain(silent, s => s.AgentId == "gone");

        _time.Advance(TimeSpan.FromTicks(1));
        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);

        Assert.Null(_registry.GetAgent("gone"));
        Assert.NotNull(_registry.GetAgent("connected"));
    }

    [Fact]
    public void Unregister_RecordsTheDisconnect()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _time.Advance(TimeSpan.FromSeconds(3));

        var entry = _registry.Unregister("c1");

        Assert.NotNull(entry);
        var info = _registry.GetAgent("a")!;
        Assert.Equal(AgentStatus.Disconnected, info.Status);
        Assert.Equal(_time.GetUtcNow(), info.DisconnectedAt);
        Assert.False(_registry.TryGetConnectionId("a", out _));
        Assert.Null(_registry.FindByConnection("c1"));
        Assert.Equal(0, _registry.ConnectedCount);
        Assert.Null(_registry.Unregister("c1"));
        Assert.Null(_registry.Unregister("never-registered"));
    }

    [Fact]
    public void Heartbeat_AfterDisconnect_DoesNotReviveTheAgent()
    {
        var outcome = _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _registry.Unregister("c1");

        Assert.False(_registry.Heartbeat(outcome.Agent, AgentLoad.Idle));
        Assert.Equal(AgentStatus.Disconnected, _registry.GetAgent("a")!.Status);
        _time.Advance(UnreachableAfter + TimeSpan.FromSeconds(1));
        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);
        Assert.Equal(AgentStatus.Disconnected, _registry.GetAgent("a")!.Status);
    }

    [Fact]
    public void Register_DuplicateId_ReplacesOldConnection()
    {
        var oldContext = new FakeCallerContext("old");
        var first = _registry.Register("old", oldContext, Registrations.Valid("a", capabilities: ["v1"]));
        _time.Advance(TimeSpan.FromSeconds(5));

        var second = _registry.Register("new", new FakeCallerContext("new"), Registrations.Valid("a", capabilities: ["v2"]));

        var replaced = Assert.IsType<AgentRegistry.ReplacedConnection>(second.Replaced);
        Assert.Equal("old", replaced.ConnectionId);
        Assert.Same(oldContext, replaced.Context);
        Assert.Same(first.Agent, replaced.Previous);
        Assert.Null(_registry.FindByConnection("old"));
        Assert.Same(second.Agent, _registry.FindByConnection("new"));
        Assert.True(_registry.TryGetConnectionId("a", out var connectionId));
        Assert.Equal("new", connectionId);
        var info = _registry.GetAgent("a")!;
        Assert.Equal(["v2"], info.Capabilities);
        Assert.Equal(_time.GetUtcNow(), info.ConnectedAt);
        Assert.Equal(1, _registry.ConnectedCount);
        Assert.Single(_registry.GetAgents());
    }

    [Fact]
    public void Unregister_TheReplacedConnection_LeavesTheNewOneIntact()
    {
        _registry.Register("old", new FakeCallerContext("old"), Registrations.Valid("a"));
        var second = _registry.Register("new", new FakeCallerContext("new"), Registrations.Valid("a"));

        var removed = _registry.Unregister("old");

        Assert.Null(removed);
        var info = _registry.GetAgent("a")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Null(info.DisconnectedAt);
        Assert.True(_registry.TryGetConnectionId("a", out var connectionId));
        Assert.Equal("new", connectionId);
        Assert.Same(second.Agent, _registry.FindByConnection("new"));
        Assert.Equal(1, _registry.ConnectedCount);
    }

    [Fact]
    public void Register_AfterDisconnect_IsNotAReplacement()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _registry.Unregister("c1");

        var outcome = _registry.Register("c2", new FakeCallerContext("c2"), Registrations.Valid("a"));

        Assert.Null(outcome.Replaced);
        Assert.Equal(AgentStatus.Ready, _registry.GetAgent("a")!.Status);
        Assert.Null(_registry.GetAgent("a")!.DisconnectedAt);
    }

    [Fact]
    public void Sweep_ForgettingAnAgent_DoesNotRemoveItsNewRegistration()
    {
        _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        _registry.Unregister("c1");
        _time.Advance(Retention + TimeSpan.FromSeconds(1));
        _registry.Register("c2", new FakeCallerContext("c2"), Registrations.Valid("a"));

        _registry.Sweep(UnreachableAfter, CloseAfter, Retention);

        Assert.Equal(AgentStatus.Ready, _registry.GetAgent("a")?.Status);
    }

    [Fact]
    public void GetAgents_IsOrderedByIdOrdinally()
    {
        foreach (var id in new[] { "b", "B", "a", "a2", "A" })
        {
            _registry.Register("c-" + id, new FakeCallerContext("c-" + id), Registrations.Valid(id));
        }

        Assert.Equal(["A", "B", "a", "a2", "b"], _registry.GetAgents().Select(a => a.Id));
    }

    [Fact]
    public void Snapshot_IsACopy()
    {
        var outcome = _registry.Register("c1", new FakeCallerContext("c1"), Registrations.Valid("a"));
        var before = _registry.GetAgent("a")!;

        _registry.Heartbeat(outcome.Agent, new AgentLoad(5, 5, 50, 5));

        Assert.Equal(new AgentLoad(0, 2, 0, 0), before.Load);
        Assert.Equal(new AgentLoad(5, 5, 50, 5), _registry.GetAgent("a")!.Load);
    }

    [Fact]
    public async Task Register_ConcurrentSameId_KeepsConnectionIndexConsistent()
    {
        var ids = Enumerable.Range(0, 50).Select(i => "c" + i).ToArray();

        await Task.WhenAll(ids.Select(c => Task.Run(() => _registry.Register(c, new FakeCallerContext(c), Registrations.Valid("shared")))));

        Assert.True(_registry.TryGetConnectionId("shared", out var winner));
        Assert.Equal(1, _registry.ConnectedCount);
        Assert.NotNull(_registry.FindByConnection(winner));
        Assert.All(ids.Where(c => c != winner), c => Assert.Null(_registry.FindByConnection(c)));
    }
}
