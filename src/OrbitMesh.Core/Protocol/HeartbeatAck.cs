namespace OrbitMesh.Protocol;

/// <summary>
/// The server's answer to a heartbeat. The agent uses <see cref="HeartbeatIntervalMs"/> for its next beat,
/// so the server can spread heartbeats out as the fleet grows.
/// </summary>
public sealed record HeartbeatAck
{
    /// <summary>When to send the next heartbeat, in milliseconds.</summary>
    public int HeartbeatIntervalMs { get; init; }

    /// <summary>The server's clock.</summary>
    public DateTimeOffset ServerTime { get; init; }
}
