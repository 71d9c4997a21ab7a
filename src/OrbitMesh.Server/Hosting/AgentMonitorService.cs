using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;

namespace OrbitMesh.Server.Hosting;

/// <summary>
/// Watches liveness: marks agents Unreachable after their missed heartbeats, closes connections that
/// never registered, and forgets long-disconnected agents.
/// </summary>
internal sealed partial class AgentMonitorService(
    AgentRegistry registry,
    UnregisteredConnections unregistered,
    ConnectionCloser closer,
    IOptions<OrbitMeshServerOptions> options,
    TimeProvider time,
    ILogger<AgentMonitorService> logger) : BackgroundService
{
    private volatile bool _running;

    /// <summary>True while the sweep loop runs.</summary>
    public bool IsRunning => _running;

    /// <summary>
    /// How long after its last heartbeat an agent is marked Unreachable: the allowed number of missed
    /// beats, plus half an interval of slack so a beat that is a few milliseconds late does not flap.
    /// </summary>
    public static TimeSpan UnreachableAfter(OrbitMeshServerOptions options) =>
        (options.HeartbeatInterval * options.MissedHeartbeatsAllowed) + (options.HeartbeatInterval / 2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var deadline = UnreachableAfter(settings);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(settings.HeartbeatInterval.TotalMilliseconds / 4, 10, 1000));
        using var timer = new PeriodicTimer(period, time);
        _running = true;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var (agentId, context) in registry.Sweep(deadline, settings.ClientTimeoutInterval, settings.DisconnectedAgentRetention))
                {
                    Log.ClosingSilentConnection(logger, agentId, context.ConnectionId, settings.ClientTimeoutInterval.TotalSeconds);
                    context.Abort();
                }

                foreach (var context in unregistered.TakeExpired(settings.RegistrationTimeout))
                {
                    Log.RegistrationTimedOut(logger, context.ConnectionId, settings.RegistrationTimeout.TotalSeconds);
                    closer.Close(context, new DisconnectNotice(
                        DisconnectCodes.RegistrationTimeout,
                        $"The connection did not call {HubMethodNames.Register} within {settings.RegistrationTimeout.TotalSeconds:0.###} s.",
                        Reconnect: true), TimeSpan.Zero);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _running = false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2051, LogLevel.Warning, "Agent {AgentId} sent nothing for {Seconds} s; closing its connection {ConnectionId}.")]
        public static partial void ClosingSilentConnection(ILogger logger, string agentId, string connectionId, double seconds);

        [LoggerMessage(2050, LogLevel.Warning, "Connection {ConnectionId} did not register within {Seconds} s; closing it.")]
        public static partial void RegistrationTimedOut(ILogger logger, string connectionId, double seconds);
    }
}
