using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrbitMesh.Cli.Hosting;
using OrbitMesh.Cli.Output;

namespace OrbitMesh.Cli.Commands;

/// <summary><c>orbitmesh agents list</c>.</summary>
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
            using var api = new ApiHttp(CommonOptions.ParseServer(result.GetValue(server)!), result.GetValue(apiKey));
            var agents = await api.GetAsync<List<AgentInfo>>("/api/agents", cancellationToken).ConfigureAwait(false);
            Console.Write(result.GetValue(json) ? JsonSerializer.Serialize(agents, OrbitMeshJson.Options) + Environment.NewLine : Render(agents));
            return 0;
        });

        return new Command("agents", "Inspect agents.") { list };
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
                agent.Status.ToString(),
                string.Join(",", agent.Capabilities),
                string.Join(",", agent.Groups),
                agent.Load is { } load ? $"{load.ActiveJobs}/{load.MaxConcurrentJobs}" : "",
                agent.LastHeartbeatAt?.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "");
        }

        return table.ToString();
    }
}
