namespace OrbitMesh;

/// <summary>
/// Which agents may take a job: exactly one of <see cref="AgentId"/>, <see cref="Capability"/> or
/// <see cref="Group"/>, or none for "any ready agent that has a handler for the command".
/// </summary>
public sealed record AgentTarget
{
    /// <summary>One agent by id.</summary>
    public string? AgentId { get; init; }

    /// <summary>Any agent with this capability.</summary>
    public string? Capability { get; init; }

    /// <summary>Any agent in this group.</summary>
    public string? Group { get; init; }

    /// <summary>A target for one agent.</summary>
    public static AgentTarget ForAgent(string agentId) => new() { AgentId = agentId };

    /// <summary>A target for agents with a capability.</summary>
    public static AgentTarget WithCapability(string capability) => new() { Capability = capability };

    /// <summary>A target for agents in a group.</summary>
    public static AgentTarget InGroup(string group) => new() { Group = group };

    /// <summary>True when <paramref name="agent"/> is the one named, has the capability or is in the group (any agent for an empty target).</summary>
    public bool Matches(AgentInfo agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return AgentId is { } id ? string.Equals(agent.Id, id, StringComparison.Ordinal)
            : Capability is { } capability ? agent.Capabilities.Contains(capability, StringComparer.Ordinal)
            : Group is not { } group || agent.Groups.Contains(group, StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public override string ToString() =>
        AgentId is not null ? $"agent '{AgentId}'"
        : Capability is not null ? $"capability '{Capability}'"
        : Group is not null ? $"group '{Group}'"
        : "any agent";
}
