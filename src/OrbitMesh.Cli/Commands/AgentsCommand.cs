using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Output;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh agents list</c>, and the actions on one agent (<see cref="AgentActionsCommand"/>).</summary>
internal static class AgentsCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server();
        var apiKey = CommonOptions.ApiKey();
        var json = CommonOptions.Json();
        var list = new Command("list", "List the agents the server knows.") { server, apiKey, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var mesh = CommonOptions.MeshClient(result.GetValue(server)!, result.GetValue(apiKey));
            var agents = await mesh.GetAgentsAsync(cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(agents, OrbitMeshJson.Options) + Environment.NewLine : Render(agents));
            return 0;
        });

        var agents = new Command("agents", "Inspect agents and act on one.") { list };
        foreach (var action in AgentActionsCommand.Create())
        {
            agents.Add(action);
        }

        return agents;
    }

    internal static string Render(IReadOnlyList<AgentInfo> agents)
    {
        if (agents.Count == 0)
        {
            return "No agents." + Environment.NewLine;
        }

        var table = new TextTable("ID", "NAME", "STATUS", "CAPABILITIES", "GROUPS", "LOAD", "LAST HEARTBEAT");
        foreach (var agent in agents)
        {
            table.AddRow(
                agent.Id,
                agent.Name,
                agent.Circuit == AgentCircuitState.Closed ? agent.Status.ToString() : $"{agent.Status} (circuit {agent.Circuit})",
                string.Join(",", agent.Capabilities),
                string.Join(",", agent.Groups),
                agent.Load is { } load ? $"{Math.Max(load.ActiveJobs, agent.JobsInFlight)}/{load.MaxConcurrentJobs}" : "",
                agent.LastHeartbeatAt?.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
        }

        return table.ToString();
    }
}
