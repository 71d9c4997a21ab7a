using System.Collections.Concurrent;
using OrbitMesh.Protocol;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>
/// An agent made of the bare transport client: it registers and heartbeats only when the test says so,
/// and records what the server sends it (disconnect notices, probes) and how its connection ended.
/// </summary>
internal sealed class RawAgent : IAsyncDisposable
{
    public const string ProbeMethod = "Probe";

    private readonly ConcurrentQueue<DisconnectNotice> _notices = new();
    private readonly ConcurrentQueue<string> _probes = new();
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<DisconnectNotice> _firstNotice = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RawAgent(HubConnection connection)
    {
        Connection = connection;
        connection.On<DisconnectNotice>(HubMethodNames.Disconnect, notice =>
        {
            _notices.Enqueue(notice);
            _firstNotice.TrySetResult(notice);
        });
        connection.On<string>(ProbeMethod, probe => _probes.Enqueue(probe));
        connection.Closed += error =>
        {
            _closed.TrySetResult(error);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    /// <summary>Completes with the connection's close reason once it is closed.</summary>
    public Task<Exception?> Closed => _closed.Task;

    /// <summary>Completes with the first disconnect notice the server sent.</summary>
    public Task<DisconnectNotice> FirstNotice => _firstNotice.Task;

    public IReadOnlyList<DisconnectNotice> Notices => _notices.ToArray();

    public IReadOnlyList<string> Probes => _probes.ToArray();

    public RegistrationResult? Registration { get; private set; }

    /// <summary>Connects with the test token; <paramref name="configure"/> may change the builder (URL, token, timeouts).</summary>
    public static async Task<RawAgent> ConnectAsync(TestMeshServer server, Action<HubConnectionBuilder>? configure = null)
    {
        var builder = new HubConnectionBuilder();
        builder.WithMeshHub(server.HubUrl, TestMeshServer.AgentToken);
        configure?.Invoke(builder);
        var agent = new RawAgent(builder.Build());
        await agent.Connection.StartMeshAsync();
        return agent;
    }

    /// <summary>Connects and registers <paramref name="id"/>.</summary>
    public static async Task<RawAgent> RegisterAsync(TestMeshServer server, string id, string[]? capabilities = null, string[]? groups = null, Action<HubConnectionBuilder>? configure = null)
    {
        var agent = await ConnectAsync(server, configure);
        await agent.RegisterAsync(Registrations.Valid(id, capabilities, groups));
        return agent;
    }

    public async Task<RegistrationResult> RegisterAsync(AgentRegistration? registration)
    {
        var result = await Wait.ForAsync(
            Connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, registration),
            "the answer to Register");
        Registration = result;
        return result;
    }

    public Task<HeartbeatAck> HeartbeatAsync(int activeJobs = 0) =>
        Wait.ForAsync(
            Connection.InvokeAsync<HeartbeatAck>(HubMethodNames.Heartbeat, new AgentHeartbeat { ActiveJobs = activeJobs, MaxConcurrentJobs = 2, CpuPercent = 12.5, WorkingSetBytes = 1000 }),
            "the answer to Heartbeat");

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
