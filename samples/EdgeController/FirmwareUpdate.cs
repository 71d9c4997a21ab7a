using System.Security.Cryptography;
using OrbitMesh;
using OrbitMesh.Client;

namespace EdgeController;

/// <summary>
/// The seed's UpdateFirmware: every device of the group, in batches of 10 (each batch all at once, the
/// next once it is done), printing each device's progress as it arrives. A device that fails is
/// reported and the others carry on.
/// </summary>
internal static class FirmwareUpdate
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var group = settings["Group"] ?? "cameras";
        var version = settings["Version"] ?? throw new ArgumentException("--Version is required.");
        var batchSize = int.Parse(settings["BatchSize"] ?? "10", System.Globalization.CultureInfo.InvariantCulture);
        using var mesh = new MeshHttpClient(server, settings["ApiKey"] ?? "dev-api-key");
        using var http = new HttpClient();
        var url = new Uri(server, $"firmware/{version}.bin");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await http.GetByteArrayAsync(url, cancellationToken)));

        var devices = (await mesh.GetAgentsAsync(cancellationToken)).Where(a => a.Status == AgentStatus.Ready && a.Groups.Contains(group)).Select(a => a.Id).Order(StringComparer.Ordinal).ToList();
        var failed = new List<string>();
        foreach (var (batch, number) in devices.Chunk(batchSize).Select((b, i) => (b, i + 1)))
        {
            Console.WriteLine($"batch {number}: {string.Join(", ", batch)}");
            var results = await Task.WhenAll(batch.Select(device => UpdateAsync(mesh, device, url, version, sha256, cancellationToken)));
            failed.AddRange(results.Where(r => r is not null)!);
        }

        Console.WriteLine($"updated {devices.Count - failed.Count} of {devices.Count} devices in {group} to {version}{(failed.Count > 0 ? "; failed: " + string.Join(", ", failed) : "")}");
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>One device: its job's progress as it comes; null when it succeeded, else the device.</summary>
    private static async Task<string?> UpdateAsync(MeshHttpClient mesh, string device, Uri url, string version, string sha256, CancellationToken cancellationToken)
    {
        var request = new JobRequest
        {
            Command = "firmware.update",
            Target = AgentTarget.ForAgent(device),
            Pattern = ExecutionPattern.LongRunning,
            Parameters = OrbitMeshJson.ToElement(new { url, version, sha256 }),
            IdempotencyKey = $"firmware:{device}:{version}",
            Timeout = TimeSpan.FromMinutes(10),
        };
        await foreach (var e in mesh.SubmitAndWatchAsync(request, cancellationToken))
        {
            if (e.Type == JobEventType.Progress)
            {
                Console.WriteLine($"  {device} {e.Percent:0} % {e.Message}");
            }
            else if (e.IsFinal)
            {
                Console.WriteLine($"  {device} {e.Status}{(e.Error is { } error ? ": " + error.Message : "")}");
                return e.Status == JobStatus.Completed ? null : device;
            }
        }

        return device;
    }
}
