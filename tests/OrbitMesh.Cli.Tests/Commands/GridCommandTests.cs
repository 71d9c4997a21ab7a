using System.Text.Json;
using OrbitMesh.Cli.Commands;
using OrbitMesh.Cli.Tests.CommandLine;
using OrbitMesh.Grid;

namespace OrbitMesh.Cli.Tests.Commands;

/// <summary>
/// <c>orbitmesh grid scan|hash|copy</c> as a user runs them: standalone with no server, and in grid mode
/// against a real <c>orbitmesh agent --allow-path</c> process (a star) behind a real server.
/// </summary>
public sealed class GridCommandTests : IDisposable
{
    private readonly string _base = Agent.Security.PathAllowList.Resolve(Directory.CreateTempSubdirectory("orbitmesh-grid-cli-").FullName);

    public void Dispose() => Directory.Delete(_base, recursive: true);

    private string Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(_base, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        new Random(5).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public void Endpoint_AgentAndPath_AreSplitAtTheFirstColon()
    {
        Assert.Equal(("star-1", "/arg"), GridCommand.Endpoint("star-1", "/arg", "--from-agent", "SRC"));
        Assert.Equal(("star-1", "/data/x"), GridCommand.Endpoint("star-1:/data/x", null, "--from-agent", "SRC"));
        Assert.Equal(("star-1", "C:\\data"), GridCommand.Endpoint("star-1:C:\\data", null, "--from-agent", "SRC"));
        Assert.Equal(((string?)null, "local/path"), GridCommand.Endpoint(null, "local/path", "--from-agent", "SRC"));
    }

    [Fact]
    public void Endpoint_BadCombinations_AreRefused()
    {
        Assert.Throws<CliException>(() => GridCommand.Endpoint("a:/x", "/y", "--from-agent", "SRC"));
        Assert.Throws<CliException>(() => GridCommand.Endpoint(":/x", null, "--from-agent", "SRC"));
        Assert.Throws<CliException>(() => GridCommand.Endpoint("a:", null, "--from-agent", "SRC"));
        Assert.Throws<CliException>(() => GridCommand.Endpoint(null, null, "--from-agent", "SRC"));
    }

    [Fact]
    public async Task Standalone_ScanHashCopy_WorkWithNoServer()
    {
        var data = Bytes(700_000);
        Write("src/a.txt", "hello"u8.ToArray());
        Write("src/sub/b.bin", data);

        var scan = await OrbitMeshProcess.RunAsync("grid", "scan", Path.Combine(_base, "src"), "--json", "--server", "http://127.0.0.1:1");
        var hash = await OrbitMeshProcess.RunAsync("grid", "hash", Path.Combine(_base, "src/sub/b.bin"), "--offset", "1000", "--length", "5000", "--algorithm", "sha256", "--json");
        var copy = await OrbitMeshProcess.RunAsync("grid", "copy", Path.Combine(_base, "src"), Path.Combine(_base, "dst"));

        Assert.Equal(0, scan.ExitCode);
        var entries = JsonSerializer.Deserialize<List<GridEntry>>(scan.Stdout, OrbitMeshJson.Options)!;
        Assert.Equal(["a.txt", "sub", "sub/b.bin"], entries.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal(0, hash.ExitCode);
        var digest = JsonSerializer.Deserialize<GridDigest>(hash.Stdout, OrbitMeshJson.Options)!;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data.AsSpan(1000, 5000))), digest.Hex);
        Assert.Equal(0, copy.ExitCode);
        Assert.Contains("Copied 2 file(s)", copy.Stdout, StringComparison.Ordinal);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_base, "dst/sub/b.bin")));
    }

    [Fact]
    public async Task Standalone_MissingFile_FailsWithOneErrorLine()
    {
        var result = await OrbitMeshProcess.RunAsync("grid", "hash", Path.Combine(_base, "missing.bin"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: There is no file at", Assert.Single(result.StderrLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GridMode_AgainstAStarProcess_ScanHashAndCopyBothWays()
    {
        var root = Directory.CreateDirectory(Path.Combine(_base, "star-root")).FullName;
        var outside = Write("outside/secret.txt", "secret"u8.ToArray());
        var data = Bytes(1_200_000);
        Write("star-root/in/data.bin", data);
        var local = Write("local/up.bin", Bytes(300_000));
        await using var server = await TestMeshServer.StartAsync();
        await using var star = OrbitMeshProcess.Start(
            "agent", "--server", server.Url.ToString(), "--token", TestMeshServer.AgentToken, "--id", "cli-star", "--allow-path", root, "--log-level", "Warning");
        await server.WaitForAgentAsync("cli-star", AgentStatus.Ready);
        Assert.Contains(GridCommands.Capability, server.Registry.GetAgent("cli-star")!.Capabilities);
        string[] common = ["--server", server.Url.ToString()];

        var scan = await OrbitMeshProcess.RunAsync(["grid", "scan", "in", "--agent", "cli-star", .. common]);
        var hash = await OrbitMeshProcess.RunAsync(["grid", "hash", "in/data.bin", "--agent", "cli-star", "--json", .. common]);
        var down = await OrbitMeshProcess.RunAsync(["grid", "copy", "--from-agent", "cli-star:in/data.bin", Path.Combine(_base, "down.bin"), "--json", .. common]);
        var up = await OrbitMeshProcess.RunAsync(["grid", "copy", local, "--to-agent", "cli-star:uploads/up.bin", .. common]);
        var refused = await OrbitMeshProcess.RunAsync(["grid", "hash", outside, "--agent", "cli-star", .. common]);

        Assert.True(scan.ExitCode == 0, scan.Stderr);
        Assert.True(hash.ExitCode == 0, hash.Stderr);
        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.Contains("data.bin", scan.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, hash.ExitCode);
        Assert.Equal(Blake3.Hasher.Hash(data).ToString(), JsonSerializer.Deserialize<GridDigest>(hash.Stdout, OrbitMeshJson.Options)!.Hex);
        Assert.Equal(0, down.ExitCode);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(_base, "down.bin")));
        Assert.Equal(Blake3.Hasher.Hash(data).ToString(), JsonSerializer.Deserialize<GridCopyResult>(down.Stdout, OrbitMeshJson.Options)!.Files[0].Blake3);
        Assert.Equal(0, up.ExitCode);
        Assert.Equal(await File.ReadAllBytesAsync(local), await File.ReadAllBytesAsync(Path.Combine(root, "uploads/up.bin")));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("outside the paths this agent allows", refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_BetweenTwoStarProcessesWithDataEndpoints_GoesDirectlyUnlessRelayIsAsked()
    {
        var rootA = Directory.CreateDirectory(Path.Combine(_base, "root-a")).FullName;
        var rootB = Directory.CreateDirectory(Path.Combine(_base, "root-b")).FullName;
        var data = Bytes(8 * 1024 * 1024);
        Write("root-a/in/data.bin", data);
        await using var server = await TestMeshServer.StartAsync(
            services: s => Microsoft.Extensions.DependencyInjection.GridLinkServiceCollectionExtensions.AddGridLinkCopier(s),
            mapExtra: app => Microsoft.AspNetCore.Builder.GridLinkEndpointRouteBuilderExtensions.MapGridLinkCopies(app, OrbitMesh.Server.Security.OrbitMeshPolicies.Operator));
        // The stars reach the server through a counting relay: what it counts is every byte the server receives from them.
        await using var toServer = new TcpProxy(server.Url);
        string[] star = ["agent", "--server", toServer.Url.ToString(), "--token", TestMeshServer.AgentToken, "--data-address", "http://127.0.0.1:0", "--log-level", "Warning"];
        await using var a = OrbitMeshProcess.Start([.. star, "--id", "cli-link-a", "--allow-path", rootA]);
        await using var b = OrbitMeshProcess.Start([.. star, "--id", "cli-link-b", "--allow-path", rootB]);
        await server.WaitForAgentAsync("cli-link-a", AgentStatus.Ready);
        await server.WaitForAgentAsync("cli-link-b", AgentStatus.Ready);
        string[] common = ["--server", server.Url.ToString(), "--json"];

        var before = toServer.BytesToTarget;
        var direct = await OrbitMeshProcess.RunAsync(["grid", "copy", "--from-agent", "cli-link-a:in/data.bin", "--to-agent", "cli-link-b:direct.bin", .. common]);
        var directBytes = toServer.BytesToTarget - before;
        before = toServer.BytesToTarget;
        var relayed = await OrbitMeshProcess.RunAsync(["grid", "copy", "--relay", "--from-agent", "cli-link-a:in/data.bin", "--to-agent", "cli-link-b:relayed.bin", .. common]);
        var relayedBytes = toServer.BytesToTarget - before;

        Assert.True(direct.ExitCode == 0, direct.Stderr);
        Assert.True(relayed.ExitCode == 0, relayed.Stderr);
        var digest = Blake3.Hasher.Hash(data).ToString();
        Assert.Equal(digest, JsonSerializer.Deserialize<GridCopyResult>(direct.Stdout, OrbitMeshJson.Options)!.Files[0].Blake3);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(rootB, "direct.bin")));
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(rootB, "relayed.bin")));
        Assert.True(directBytes < data.Length / 100, $"The server received {directBytes} bytes from the stars for a direct copy of {data.Length}.");
        Assert.True(relayedBytes > data.Length, $"The server received only {relayedBytes} bytes from the stars for a relayed copy of {data.Length}.");
    }
}
