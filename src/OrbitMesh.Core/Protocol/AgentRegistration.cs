namespace OrbitMesh.Protocol;

/// <summary>
/// What an agent tells the server about itself in <see cref="IServerHub.Register"/>.
/// </summary>
public sealed record AgentRegistration
{
    /// <summary>The agent's unique id: 1 to 128 characters, no control characters.</summary>
    public required string Id { get; init; }

    /// <summary>A human-readable name (at most 256 characters); the id when absent.</summary>
    public string? Name { get; init; }

    /// <summary>What the agent can do (at most 256).</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Groups to join (at most 256).</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Commands the agent has handlers for (at most 1024).</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Free-form labels (at most 64 entries).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>How many jobs the agent runs at once (1 to 10,000).</summary>
    public int MaxConcurrentJobs { get; init; } = 1;

    /// <summary>The agent software's version.</summary>
    public string? Version { get; init; }

    /// <summary>Jobs the agent is still running from before this connection (after a reconnect).</summary>
    public IReadOnlyList<HeldJob>? Jobs { get; init; }

    /// <summary>The desired-properties version the agent has applied (0 when it has none); the server sends what changed since.</summary>
    public long DesiredVersion { get; init; }

    /// <summary>The protocol version the agent speaks; 1.</summary>
    public int ProtocolVersion { get; init; } = ProtocolLimits.ProtocolVersion;
}
