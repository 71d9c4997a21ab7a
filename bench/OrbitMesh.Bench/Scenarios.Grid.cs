using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Client;
using OrbitMesh.Grid;

namespace OrbitMesh.Bench;

internal static partial class Scenarios
{
    private const long GridCopyBytes = 512L * 1024 * 1024;

    /// <summary>
    /// Orbit Grid copies star to star on loopback, in the same run: a direct link (the source star pushes to the
    /// target star's HTTP/2 data endpoint; the server only sends commands) beside the relayed copy `grid copy --relay`
    /// does (512 KiB chunks read and written through the server's REST API and hub). Both copies are verified by
    /// BLAKE3 (the direct copy by the receiving star as the bytes arrive; `bothDigestsSeconds` is what hashing on both
    /// stars afterwards costs, as the relayed copy does). The stars run in this process, the server in its own.
    /// </summary>
    public static async Task<Dictionary<string, double>> GridAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double>();
        var root = Directory.CreateTempSubdirectory("orbitmesh-bench-grid-");
        try
        {
            var rootA = Directory.CreateDirectory(Path.Combine(root.FullName, "a")).FullName;
            var rootB = Directory.CreateDirectory(Path.Combine(root.FullName, "b")).FullName;
            WriteRandomFile(Path.Combine(rootA, "data.bin"), GridCopyBytes);
            await using var server = await ServerProcess.StartAsync("memory");
            await using var dataA = await GridDataEndpoint.StartAsync(new GridDataOptions { NodeId = "star-a" }, new PathAllowList([rootA]));
            await using var dataB = await GridDataEndpoint.StartAsync(new GridDataOptions { NodeId = "star-b" }, new PathAllowList([rootB]));
            await using var starA = Star(server, "star-a", rootA, dataA);
            await using var starB = Star(server, "star-b", rootB, dataB);
            await starA.ConnectAsync();
            await starB.ConnectAsync();
            await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() >= 2, TimeSpan.FromSeconds(30));
            using var mesh = new MeshHttpClient(server.Url);

            // Warm-up: the first copy of each kind pays for JIT and connection set-up.
            await File.WriteAllBytesAsync(Path.Combine(rootA, "warm.bin"), new byte[8 * 1024 * 1024]);
            await mesh.PostAsync<GridLinkCopyResult>(Microsoft.AspNetCore.Builder.GridLinkEndpointRouteBuilderExtensions.CopiesRoute, new GridLinkCopyRequest("star-a", "warm.bin", "star-b", "warm-direct.bin"));
            await GridCopy.CopyAsync(new RemoteSystem(mesh, "star-a"), "warm.bin", new RemoteSystem(mesh, "star-b"), "warm-relay.bin");

            var watch = Stopwatch.StartNew();
            var direct = await mesh.PostAsync<GridLinkCopyResult>(Microsoft.AspNetCore.Builder.GridLinkEndpointRouteBuilderExtensions.CopiesRoute, new GridLinkCopyRequest("star-a", "data.bin", "star-b", "direct.bin"))
                ?? throw new InvalidOperationException("No result.");
            var directSeconds = watch.Elapsed.TotalSeconds;
            if (direct.Bytes != GridCopyBytes)
            {
                throw new InvalidOperationException($"The direct copy moved {direct.Bytes} bytes.");
            }

            // The direct copy's digest is the receiver's; both stars hash here, as the relayed copy does.
            watch.Restart();
            await GridCopy.VerifyAsync(new RemoteSystem(mesh, "star-a"), "data.bin", new RemoteSystem(mesh, "star-b"), "direct.bin");
            var verifySeconds = watch.Elapsed.TotalSeconds;
            File.Delete(Path.Combine(rootB, "direct.bin"));

            watch.Restart();
            var relayed = await GridCopy.CopyAsync(new RemoteSystem(mesh, "star-a"), "data.bin", new RemoteSystem(mesh, "star-b"), "relayed.bin");
            var relaySeconds = watch.Elapsed.TotalSeconds;
            if (relayed.Bytes != GridCopyBytes || relayed.Files[0].Blake3 != direct.Blake3)
            {
                throw new InvalidOperationException("The relayed copy differs from the direct one.");
            }

            const double MiB = 1024 * 1024;
            metrics["fileMiB"] = GridCopyBytes / MiB;
            metrics["directMiBPerSecond"] = GridCopyBytes / MiB / directSeconds;
            metrics["directSeconds"] = directSeconds;
            metrics["bothDigestsSeconds"] = verifySeconds;
            metrics["relayedMiBPerSecond"] = GridCopyBytes / MiB / relaySeconds;
            metrics["relayedSeconds"] = relaySeconds;
            metrics["directOverRelayed"] = relaySeconds / directSeconds;
            return metrics;
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static MeshAgent Star(ServerProcess server, string id, string root, GridDataEndpoint data) =>
        new MeshAgentBuilder()
            .WithServer(server.Url)
            .WithToken(BenchServer.Token)
            .WithId(id)
            .WithLoggerFactory(NullLoggerFactory.Instance)
            .AddGridHandlers(new PathAllowList([root]))
            .AddGridLinks(data)
            .Build();

    private static void WriteRandomFile(string path, long size)
    {
        var random = new Random(18);
        var block = new byte[4 * 1024 * 1024];
        using var file = File.Create(path);
        for (long written = 0; written < size; written += block.Length)
        {
            random.NextBytes(block);
            file.Write(block, 0, (int)Math.Min(block.Length, size - written));
        }
    }
}
