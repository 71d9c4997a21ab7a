using OrbitMesh.Server.Agents;

namespace OrbitMesh.Server.Cluster;

/// <summary>
/// The agents of the whole cluster: this server's own (from its registry, which is the truth for them) and those the
/// other servers published. An agent this server knows only as disconnected but another server serves is listed as the
/// other server's.
/// </summary>
internal sealed class ClusterAgentRegistry(AgentRegistry local, IClusterDirectory directory) : IAgentRegistry
{
    public int ConnectedCount => local.ConnectedCount + directory.Remote.Count;

    public IReadOnlyList<AgentInfo> GetAgents()
    {
        var agents = new Dictionary<string, AgentInfo>(StringComparer.Ordinal);
        foreach (var agent in local.GetAgents())
        {
            agents[agent.Id] = agent with { Server = directory.ServerId };
        }

        foreach (var remote in directory.Remote)
        {
            if (!agents.TryGetValue(remote.Agent.Id, out var known) || !IsLive(known.Status))
            {
                agents[remote.Agent.Id] = remote.Agent;
            }
        }

        return [.. agents.Values.OrderBy(a => a.Id, StringComparer.Ordinal)];
    }

    public AgentInfo? GetAgent(string agentId)
    {
        var known = local.GetAgent(agentId);
        if (known is not null && IsLive(known.Status))
        {
            return known with { Server = directory.ServerId };
        }

        return directory.Remote.FirstOrDefault(r => r.Agent.Id == agentId)?.Agent ?? (known is null ? null : known with { Server = directory.ServerId });
    }

    private static bool IsLive(AgentStatus status) => status != AgentStatus.Disconnected;
}
