using System.Net;
using System.Net.Sockets;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Server;

/// <summary>How <c>orbitmesh server</c> starts: a port that is taken.</summary>
public sealed class ServerStartupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Server_PortInUse_ExitsNonZeroWithAClearError()
    {
        await using var mesh = new MeshProcesses(output);
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var server = mesh.Start("server", "server", "--urls", $"http://127.0.0.1:{port}", "--data", mesh.DataDirectory, "--agent-token", mesh.Token);
        var exitCode = await server.WaitForExitAsync("the server to give up on a port in use", TimeSpan.FromSeconds(30));

        Assert.True(exitCode != 0, server.Describe());
        var error = Assert.Single(server.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.Contains("address already in use", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(server.StdoutLines, l => l.Contains("listening on", StringComparison.Ordinal));
    }
}
