using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Server;

/// <summary>SIGTERM (what a service manager or container runtime sends) stops the processes cleanly.</summary>
public sealed class ServerShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Sigterm_AgentStopsCleanly_ThenTheServerStopsAndExitsZero()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ["--heartbeat-interval", "0.5"]);
        using var api = new MeshApi(server.Url);
        var agent = await mesh.StartAgentAsync(server.Url, "polite");
        await api.WaitForReadyAsync(["polite"], "the agent is Ready", MeshProcesses.StartTimeout);

        await agent.SignalAsync("TERM");
        Assert.Equal(0, await agent.WaitForExitAsync("the agent to stop on SIGTERM", StopTimeout));
        await api.WaitForAgentAsync("polite", a => a.Status == AgentStatus.Disconnected, "the stopped agent is Disconnected", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(agent.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));

        await server.Process.SignalAsync("TERM");
        Assert.Equal(0, await server.Process.WaitForExitAsync("the server to stop on SIGTERM", StopTimeout));
        Assert.DoesNotContain(server.Process.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
    }
}
