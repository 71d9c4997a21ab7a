using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using OrbitMesh;
using OrbitMesh.Client;

namespace GpuClusterManager;

/// <summary>
/// The seed's GpuClusterManager: pick the GPU node with the lowest reported utilization (ties: more
/// free memory) and stream the inference's tokens from it as they are generated.
/// </summary>
internal static class ClusterManager
{
    public static async Task<int> InferAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        using var mesh = Client(settings);
        var nodes = await ReadingsAsync(mesh, cancellationToken);
        if (nodes.Count == 0)
        {
            Console.Error.WriteLine("error: no GPU node is connected and reporting");
            return 1;
        }

        var (agent, gpu) = nodes.OrderBy(n => n.Gpu.Utilization).ThenBy(n => n.Gpu.MemoryUsedMb - n.Gpu.MemoryTotalMb).First();
        Console.WriteLine($"node: {agent.Id} (utilization {gpu.Utilization:0} %, {gpu.MemoryUsedMb} of {gpu.MemoryTotalMb} MiB, {gpu.Source})");
        var watch = Stopwatch.StartNew();
        var tokens = 0;
        await foreach (var token in mesh.StreamAsync<string>(
            new JobRequest
            {
                Command = "run-inference",
                Target = AgentTarget.ForAgent(agent.Id),
                Parameters = OrbitMeshJson.ToElement(new { prompt = settings["Prompt"] ?? "hello from the mesh", maxTokens = int.Parse(settings["MaxTokens"] ?? "16", System.Globalization.CultureInfo.InvariantCulture) }),
            },
            cancellationToken))
        {
            Console.WriteLine($"token: {token}");
            tokens++;
        }

        Console.WriteLine($"done: {tokens} tokens in {watch.ElapsedMilliseconds} ms");
        return 0;
    }

    public static async Task<int> StatusAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        using var mesh = Client(settings);
        foreach (var (agent, gpu) in await ReadingsAsync(mesh, cancellationToken))
        {
            Console.WriteLine($"{agent.Id,-10} {gpu.Utilization,5:0} % {gpu.MemoryUsedMb,7} / {gpu.MemoryTotalMb} MiB  {gpu.Source}");
        }

        return 0;
    }

    /// <summary>Every connected GPU node with the reading in its twin.</summary>
    private static async Task<List<(AgentInfo Agent, GpuReading Gpu)>> ReadingsAsync(MeshHttpClient mesh, CancellationToken cancellationToken)
    {
        var readings = new List<(AgentInfo, GpuReading)>();
        foreach (var agent in (await mesh.GetAgentsAsync(cancellationToken)).Where(a => a.Status == AgentStatus.Ready && a.Capabilities.Contains("gpu")))
        {
            if ((await mesh.GetTwinAsync(agent.Id, cancellationToken))?.Reported is { } reported && reported.TryGetProperty("gpu", out var gpu))
            {
                readings.Add((agent, gpu.Deserialize<GpuReading>(OrbitMeshJson.Options)!));
            }
        }

        return readings;
    }

    private static MeshHttpClient Client(IConfiguration settings) =>
        new(new Uri(settings["Server"] ?? "http://127.0.0.1:5080"), settings["ApiKey"] ?? "dev-api-key");
}
