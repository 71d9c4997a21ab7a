using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Server;

/// <summary>How <c>orbitmesh server</c> starts: a generated token, and a port that is taken.</summary>
public sealed partial class ServerStartupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Server_WithoutAnyToken_PrintsAGeneratedTokenThatAgentsCanUse()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(withToken: false);
        var line = await server.Process.WaitForStdoutAsync(l => l.Contains("generated token", StringComparison.Ordinal), "the server prints the generated token");
        var token = GeneratedToken().Match(line) is { Success: true } match ? match.Groups["token"].Value : throw new InvalidOperationException($"No token in '{line}'.");
        Assert.NotEqual(mesh.Token, token);

        using var api = new MeshApi(server.Url);
        var agent = await mesh.StartAgentAsync(server.Url, "with-generated-token", token: token);
        await api.WaitForReadyAsync(["with-generated-token"], "the agent with the generated token is Ready", MeshProcesses.StartTimeout);

        var refused = await mesh.StartAgentAsync(server.Url, "with-another-token", token: mesh.Token, waitUntilConnected: false);
        Assert.NotEqual(0, await refused.WaitForExitAsync("an agent with a token the server did not generate to be refused", TimeSpan.FromSeconds(30)));
        Assert.False(agent.HasExited, agent.Describe());
    }

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

    [GeneratedRegex("generated token: (?<token>[0-9a-f]{16,})$")]
    private static partial Regex GeneratedToken();
}
