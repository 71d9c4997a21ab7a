using System.Diagnostics;
using OrbitMesh;
using OrbitMesh.Client;

namespace AppDeployer;

/// <summary>The operator's side: registers the workflow and rolls it out over every web node, 20 % at a time.</summary>
internal static class Deployer
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var app = settings["App"] ?? "demo";
        var version = settings["Version"] ?? throw new ArgumentException("--Version is required.");
        var batchPercent = int.Parse(settings["BatchPercent"] ?? "20", System.Globalization.CultureInfo.InvariantCulture);
        using var mesh = new MeshHttpClient(server, settings["ApiKey"] ?? "dev-api-key");

        await mesh.RegisterWorkflowAsync(DeployWorkflow.Definition, cancellationToken);
        var watch = Stopwatch.StartNew();
        var result = await mesh.ExecuteWorkflowRollingAsync(
            DeployWorkflow.Name,
            batchPercent,
            OrbitMeshJson.ToElement(new { app, version, packageUrl = new Uri(server, $"packages/{app}-{version}.zip") }),
            AgentTarget.WithCapability("web"),
            cancellationToken);

        for (var i = 0; i < result.Batches.Count; i++)
        {
            Console.WriteLine($"batch {i + 1}: {string.Join(", ", result.Batches[i].Select(r => $"{r.BoundAgent} {r.Status}"))}");
        }

        if (result.Completed)
        {
            Console.WriteLine($"deployed {app} {version} to {result.Batches.Sum(b => b.Count)} nodes in {watch.ElapsedMilliseconds} ms");
            return 0;
        }

        var failed = result.Batches.SelectMany(b => b).First(r => r.RunId == result.FailedRunId);
        Console.WriteLine($"failed on {failed.BoundAgent}: {failed.Reason}");
        Console.WriteLine($"rolled back: {string.Join(", ", result.RolledBack.Select(r => $"{r.BoundAgent} {r.Status}"))}");
        Console.WriteLine($"not reached: {string.Join(", ", result.SkippedAgents)}");
        Console.WriteLine($"rollout of {app} {version} stopped and rolled back in {watch.ElapsedMilliseconds} ms");
        return 1;
    }
}
