using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Agents;

/// <summary>
/// The heartbeat interval the server gives agents. It is the configured
/// <see cref="OrbitMeshServerOptions.HeartbeatInterval"/> until the fleet is so large that its beats
/// would exceed <see cref="OrbitMeshServerOptions.MaxHeartbeatsPerSecond"/>; from then on it grows with
/// the number of connected agents, so the server's heartbeat load stays flat (as Nomad's heartbeat TTLs do).
/// </summary>
internal sealed class HeartbeatSchedule(AgentRegistry registry, IOptions<OrbitMeshServerOptions> options)
{
    private readonly TimeSpan _configured = options.Value.HeartbeatInterval;
    private readonly int _maxPerSecond = options.Value.MaxHeartbeatsPerSecond;

    /// <summary>The interval to give an agent now.</summary>
    public TimeSpan Current => For(registry.ConnectedCount);

    /// <summary>The interval for a fleet of <paramref name="connectedAgents"/> agents.</summary>
    public TimeSpan For(int connectedAgents)
    {
        var spread = TimeSpan.FromSeconds((double)connectedAgents / _maxPerSecond);
        return spread > _configured ? spread : _configured;
    }

    /// <summary>Gives <paramref name="agent"/> the current interval; returns it in milliseconds for the reply.</summary>
    public int Assign(AgentEntry agent)
    {
        var interval = Current;
        lock (agent.Gate)
        {
            agent.HeartbeatScale = interval / _configured;
        }

        return (int)interval.TotalMilliseconds;
    }
}
