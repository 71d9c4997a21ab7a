using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Cli;

/// <summary><c>orbitmesh agents pause|resume|twin|twin-set|invoke</c> against a real server and agent process (issue 12, item 22).</summary>
public sealed class AgentActionsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnOperatorCanPauseResumeInvokeAndPatchTheTwinFromTheCli()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "acted-on");
        using var api = new MeshApi(server.Url);

        var paused = await mesh.RunAsync("pause", CommandTimeout, "agents", "pause", "acted-on", "--server", server.UrlText);
        Assert.True(paused.ExitCode == 0, paused.Describe());
        await api.WaitForAgentAsync("acted-on", a => a.Status == AgentStatus.Paused, "the agent to be paused", MeshProcesses.StartTimeout);
        var resumed = await mesh.RunAsync("resume", CommandTimeout, "agents", "resume", "acted-on", "--server", server.UrlText);
        Assert.True(resumed.ExitCode == 0, resumed.Describe());
        await api.WaitForAgentAsync("acted-on", a => a.Status == AgentStatus.Ready, "the agent to be Ready again", MeshProcesses.StartTimeout);

        var invoked = await mesh.RunAsync("invoke", CommandTimeout, "agents", "invoke", "acted-on", "echo", "--param", "n=7", "--server", server.UrlText);
        Assert.True(invoked.ExitCode == 0, invoked.Describe());
        using (var echoed = JsonDocument.Parse(invoked.Stdout))
        {
            Assert.Equal(7, echoed.RootElement.GetProperty("n").GetInt32());
        }

        var set = await mesh.RunAsync("twin-set", CommandTimeout, "agents", "twin-set", "acted-on", "--desired", """{"logLevel":"debug"}""", "--server", server.UrlText);
        Assert.True(set.ExitCode == 0, set.Describe());
        var twin = await mesh.RunAsync("twin", CommandTimeout, "agents", "twin", "acted-on", "--server", server.UrlText);
        Assert.Contains("\"logLevel\": \"debug\"", twin.Stdout, StringComparison.Ordinal);

        var bad = await mesh.RunAsync("twin-bad", CommandTimeout, "agents", "twin-set", "acted-on", "--desired", "[1]", "--server", server.UrlText);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("must be a JSON object", bad.Stderr, StringComparison.Ordinal);
    }
}
