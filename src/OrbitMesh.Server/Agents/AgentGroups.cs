namespace OrbitMesh.Server.Agents;

/// <summary>
/// The SignalR group names agents are added to on registration.
/// </summary>
public static class AgentGroups
{
    /// <summary>Every registered agent.</summary>
    public const string All = "agents";

    /// <summary>Agents with a capability.</summary>
    public static string Capability(string capability) => "cap:" + capability;

    /// <summary>Agents in a group.</summary>
    public static string Group(string group) => "group:" + group;
}
