using System.Text.Json;
using OrbitMesh;
using OrbitMesh.Client;
using OrbitMesh.Workflows;

namespace DataCollector;

/// <summary>The operator's side: runs one collection and prints the server's aggregate.</summary>
internal static class Collection
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        using var mesh = new MeshHttpClient(new Uri(settings["Server"] ?? "http://127.0.0.1:5080"), settings["ApiKey"] ?? "dev-api-key");
        var run = await mesh.ExecuteWorkflowAsync(CollectWorkflow.Name, new { match = settings["Match"] ?? "ERROR" }, cancellationToken);
        if (run.Status != WorkflowRunStatus.Succeeded)
        {
            Console.Error.WriteLine($"error: the collection {run.RunId} ended {run.Status}: {run.Reason}");
            return 1;
        }

        var aggregate = run.Steps.Single(s => s.StepId == "aggregate-results").Output!.Value;
        if (settings["Json"] == "true")
        {
            Console.WriteLine(aggregate.GetRawText());
            return 0;
        }

        var report = aggregate.Deserialize<CollectionReport>(OrbitMeshJson.Options)!;
        Console.WriteLine($"collected {report.Collected} of {report.Agents} agents: {report.MatchingLogLines} matching log lines, {report.TotalWorkingSetBytes / 1048576} MiB working set");
        foreach (var agent in report.Reports)
        {
            Console.WriteLine($"  {agent.AgentId,-12} {agent.Status,-8} {agent.Error}");
        }

        return 0;
    }
}
