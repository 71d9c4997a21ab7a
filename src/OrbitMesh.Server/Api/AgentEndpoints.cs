using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using OrbitMesh.Server.Agents;

namespace OrbitMesh.Server.Api;

/// <summary><c>GET /api/agents</c> and <c>GET /api/agents/{id}</c>.</summary>
internal static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgentEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/agents", (IAgentRegistry registry, string? status, string? capability, string? group) =>
        {
            AgentStatus? wanted = null;
            if (!string.IsNullOrEmpty(status))
            {
                // Match a single name: Enum.TryParse also takes numbers and comma-separated combinations
                // ("Ready,Paused" parses as Stopped).
                var name = Array.Find(Enum.GetNames<AgentStatus>(), n => string.Equals(n, status, StringComparison.OrdinalIgnoreCase));
                if (name is null)
                {
                    return ApiResults.BadRequest($"Unknown status '{status}'; expected one of: {string.Join(", ", Enum.GetNames<AgentStatus>())}.");
                }

                wanted = Enum.Parse<AgentStatus>(name);
            }

            var agents = registry.GetAgents()
                .Where(a => wanted is null || a.Status == wanted)
                .Where(a => capability is null || a.Capabilities.Contains(capability, StringComparer.Ordinal))
                .Where(a => group is null || a.Groups.Contains(group, StringComparer.Ordinal))
                .ToList();
            return ApiResults.Json(agents);
        }).WithName("ListAgents");

        api.MapGet("/agents/{id}", (IAgentRegistry registry, string id) =>
        {
            // The server decodes every escape in the path except %2F, which would change its segments;
            // agent ids may contain '/', so decode that one here.
            id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            return registry.GetAgent(id) is { } agent
                ? ApiResults.Json(agent)
                : ApiResults.NotFound($"No agent with id '{id}' is known to this server.");
        }).WithName("GetAgent");

        return api;
    }
}
