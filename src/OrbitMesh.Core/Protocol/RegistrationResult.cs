namespace OrbitMesh.Protocol;

/// <summary>
/// The server's answer to <see cref="IServerHub.Register"/>.
/// </summary>
public sealed record RegistrationResult
{
    /// <summary>The id the agent is registered under.</summary>
    public required string AgentId { get; init; }

    /// <summary>The server's id for this connection.</summary>
    public required string ConnectionId { get; init; }

    /// <summary>How often the agent must call <see cref="IServerHub.Heartbeat"/>, in milliseconds.</summary>
    public int HeartbeatIntervalMs { get; init; }

    /// <summary>How many heartbeats in a row may be missed before the agent is marked Unreachable.</summary>
    public int MissedHeartbeatsAllowed { get; init; }

    /// <summary>True when this registration replaced another live connection with the same id.</summary>
    public bool ReplacedExisting { get; init; }

    /// <summary>The server's clock when it registered the agent.</summary>
    public DateTimeOffset ServerTime { get; init; }

    /// <summary>The server software's version.</summary>
    public string? ServerVersion { get; init; }
}
