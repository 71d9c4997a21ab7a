namespace OrbitMesh.Server.Agents;

/// <summary>
/// The server's view of its agents: connected ones and, for a while, disconnected ones.
/// </summary>
public interface IAgentRegistry
{
    /// <summary>Every known agent, ordered by id.</summary>
    IReadOnlyList<AgentInfo> GetAgents();

    /// <summary>One agent, or null when unknown.</summary>
    AgentInfo? GetAgent(string agentId);

    /// <summary>How many agents have a live, registered connection.</summary>
    int ConnectedCount { get; }
}
