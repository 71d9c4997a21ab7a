using System.Text.RegularExpressions;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Hubs;

/// <summary>The hub filter on its own: registration gate and sanitized failures.</summary>
public sealed partial class AgentHubFilterTests : IDisposable
{
    private readonly CapturedLogs _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly AgentHubFilter _filter;

    public AgentHubFilterTests()
    {
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Debug));
        _filter = new AgentHubFilter(_loggerFactory.CreateLogger<AgentHubFilter>());
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task UnexpectedException_ReachesTheAgentOnlyAsAMessageWithAnErrorId()
    {
        var context = Invocation(nameof(ProbeHub.Heartbeat), registeredAs: "node-1");

        var error = await Assert.ThrowsAsync<HubException>(async () =>
            await _filter.InvokeMethodAsync(context, _ => throw new InvalidOperationException("password=hunter2")));

        var match = ErrorId().Match(error.Message);
        Assert.True(match.Success, error.Message);
        Assert.StartsWith("The server failed to process 'Heartbeat' (error id err_", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("the details are in the server log.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        var logged = Assert.Single(_logs.Entries, e => e.EventId.Id == 2021);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Contains(match.Value, logged.Message, StringComparison.Ordinal);
        Assert.Contains("node-1", logged.Message, StringComparison.Ordinal);
        Assert.Equal("password=hunter2", Assert.IsType<InvalidOperationException>(logged.Exception).Message);
    }

    [Fact]
    public async Task HubException_PassesThroughUnchanged()
    {
        var context = Invocation(nameof(ProbeHub.Heartbeat), registeredAs: "node-1");

        var error = await Assert.ThrowsAsync<HubException>(async () =>
            await _filter.InvokeMethodAsync(context, _ => throw new HubException("a deliberate message")));

        Assert.Equal("a deliberate message", error.Message);
        Assert.False(_logs.Contains(2021));
    }

    [Fact]
    public async Task UnregisteredConnection_OnlyRegisterGetsThrough()
    {
        var calls = 0;
        ValueTask<object?> Next(HubInvocationContext _)
        {
            calls++;
            return ValueTask.FromResult<object?>("ran");
        }

        var refused = await Assert.ThrowsAsync<HubException>(async () => await _filter.InvokeMethodAsync(Invocation(nameof(ProbeHub.Heartbeat), registeredAs: null), Next));
        var registered = await _filter.InvokeMethodAsync(Invocation(nameof(ProbeHub.Register), registeredAs: null), Next);

        Assert.Equal("Call Register before 'Heartbeat'.", refused.Message);
        Assert.Equal("ran", registered);
        Assert.Equal(1, calls);
        Assert.Single(_logs.Entries, e => e.EventId.Id == 2020 && e.Message.Contains("'Heartbeat'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RegisteredConnection_AnyMethodGetsThrough()
    {
        var result = await _filter.InvokeMethodAsync(Invocation(nameof(ProbeHub.Heartbeat), registeredAs: "node-1"), _ => ValueTask.FromResult<object?>(42));

        Assert.Equal(42, result);
    }

    private static HubInvocationContext Invocation(string method, string? registeredAs)
    {
        var caller = new FakeCallerContext("conn-1");
        if (registeredAs is not null)
        {
            caller.Items[AgentHub.AgentIdItem] = registeredAs;
        }

        return new HubInvocationContext(caller, new EmptyServiceProvider(), new ProbeHub(), typeof(ProbeHub).GetMethod(method)!, []);
    }

    [GeneratedRegex("err_[0-9a-z]{20}")]
    private static partial Regex ErrorId();

    private sealed class ProbeHub : Hub
    {
        public void Register()
        {
        }

        public void Heartbeat()
        {
        }
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
