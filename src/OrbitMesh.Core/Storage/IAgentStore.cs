namespace OrbitMesh.Storage;

/// <summary>What the server remembers about an agent across its connections and across server restarts.</summary>
public sealed record StoredAgent
{
    /// <summary>The agent id.</summary>
    public required string Id { get; init; }

    /// <summary>Its name.</summary>
    public string? Name { get; init; }

    /// <summary>Its capabilities at its last registration.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Its groups at its last registration.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Its commands at its last registration.</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>Its metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Its software version.</summary>
    public string? Version { get; init; }

    /// <summary>Its lifecycle status when last recorded.</summary>
    public AgentStatus Lifecycle { get; init; } = AgentStatus.Created;

    /// <summary>True when an operator paused it (survives reconnects and restarts).</summary>
    public bool Paused { get; init; }

    /// <summary>Its slot limit.</summary>
    public int MaxConcurrentJobs { get; init; } = 1;

    /// <summary>When it first registered.</summary>
    public DateTimeOffset FirstSeenAt { get; init; }

    /// <summary>When it was last connected.</summary>
    public DateTimeOffset LastSeenAt { get; init; }
}

/// <summary>Durable agent records (the registry's memory); twins live in the <see cref="IEventStore"/>.</summary>
public interface IAgentStore
{
    /// <summary>Creates or replaces an agent's record.</summary>
    ValueTask UpsertAsync(StoredAgent agent, CancellationToken cancellationToken = default);

    /// <summary>One agent, or null.</summary>
    ValueTask<StoredAgent?> GetAsync(string agentId, CancellationToken cancellationToken = default);

    /// <summary>Every agent, ordered by id.</summary>
    ValueTask<IReadOnlyList<StoredAgent>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Forgets an agent. False when it was not known.</summary>
    ValueTask<bool> DeleteAsync(string agentId, CancellationToken cancellationToken = default);
}
