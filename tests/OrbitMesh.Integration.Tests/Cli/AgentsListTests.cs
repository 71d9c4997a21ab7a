using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Cli;

/// <summary><c>orbitmesh agents list</c> run as a process against a live server process.</summary>
public sealed class AgentsListTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AgentsListCli_ShowsTheConnectedAgents()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ["--heartbeat-interval", "0.5"]);
        using var api = new MeshApi(server.Url);
        await Task.WhenAll(
            mesh.StartAgentAsync(server.Url, "list-a", ["linux", "gpu"], ["blue"]),
            mesh.StartAgentAsync(server.Url, "list-b", ["linux"], ["green"]));
        await api.WaitForReadyAsync(["list-a", "list-b"], "both agents are Ready", MeshProcesses.StartTimeout);

        var json = await mesh.RunAsync("agents-list-json", CommandTimeout, "agents", "list", "--server", server.UrlText, "--json");
        Assert.True(json.ExitCode == 0, json.Describe());
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
            var agents = document.RootElement.EnumerateArray().ToDictionary(a => a.GetProperty("id").GetString()!);
            Assert.Equal(["list-a", "list-b"], agents.Keys.Order());
            Assert.All(agents.Values, a => Assert.Equal("Ready", a.GetProperty("status").GetString()));
            Assert.Equal(["gpu", "linux"], agents["list-a"].GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()).Order());
            Assert.Equal(["green"], agents["list-b"].GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        }

        var table = await mesh.RunAsync("agents-list-table", CommandTimeout, "agents", "list", "--server", server.UrlText);
        Assert.True(table.ExitCode == 0, table.Describe());
        var lines = table.StdoutLines;
        Assert.Matches(@"^ID\s+NAME\s+STATUS\s+", lines[0]);
        foreach (var id in new[] { "list-a", "list-b" })
        {
            var row = Assert.Single(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
            Assert.Matches(@"^\S+\s+\S+\s+Ready\s", row);
        }

        Assert.Empty(table.StderrLines);
    }

    [Fact]
    public async Task AgentsListCli_ServerNotRunning_ExitsNonZeroWithAClearError()
    {
        await using var mesh = new MeshProcesses(output);
        var port = FreePort.Next();

        var list = await mesh.RunAsync("agents-list", CommandTimeout, "agents", "list", "--server", $"http://127.0.0.1:{port}");

        Assert.True(list.ExitCode is not 0 and not null, list.Describe());
        var error = Assert.Single(list.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"Cannot reach the server at http://127.0.0.1:{port}/", error, StringComparison.Ordinal);
        Assert.Empty(list.StdoutLines);
    }
}
