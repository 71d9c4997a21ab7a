namespace OrbitMesh;

/// <summary>
/// A snapshot of what the server knows about one agent.
/// </summary>
public sealed record AgentInfo
{
    /// <summary>The agent's unique id (1 to 128 characters, no control characters).</summary>
    public required string Id { get; init; }

    /// <summary>A human-readable name; the id when the agent gave none.</summary>
    public required string Name { get; init; }

    /// <summary>The agent's status.</summary>
    public AgentStatus Status { get; init; }

    /// <summary>What the agent can do, matched by capability-based selection.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>The groups the agent belongs to.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>The commands the agent has handlers for.</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Free-form labels the agent registered with.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The agent software's version, when it said.</summary>
    public string? Version { get; init; }

    /// <summary>When the current (or last) connection was registered.</summary>
    public DateTimeOffset ConnectedAt { get; init; }

    /// <summary>When the last heartbeat arrived.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; init; }

    /// <summary>When the agent disconnected; null while connected.</summary>
    public DateTimeOffset? DisconnectedAt { get; init; }

    /// <summary>The load from the last heartbeat.</summary>
    public AgentLoad? Load { get; init; }

    /// <summary>Jobs the server has assigned to the agent that are not finished.</summary>
    public int JobsInFlight { get; init; }

    /// <summary>The agent's circuit breaker; <see cref="AgentCircuitState.Open"/> keeps it out of selection.</summary>
    public AgentCircuitState Circuit { get; init; }

    /// <summary>In a cluster (servers on the Redis backplane), the id of the server the agent is connected to; null on a single server.</summary>
    public string? Server { get; init; }
}
