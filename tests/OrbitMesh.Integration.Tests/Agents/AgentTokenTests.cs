using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Agents;

/// <summary>An agent process presenting a token the server does not know.</summary>
public sealed class AgentTokenTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AgentWithWrongToken_ExitsWithAClearError()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        using var api = new MeshApi(server.Url);

        var agent = await mesh.StartAgentAsync(server.Url, "intruder", token: "not-the-token-0000", waitUntilConnected: false);
        var exitCode = await agent.WaitForExitAsync("the agent with a wrong token to give up", ExitTimeout);

        Assert.True(exitCode != 0, agent.Describe());
        var error = Assert.Single(agent.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("token is not known", error, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.StdoutLines, l => l.Contains("connected to", StringComparison.Ordinal));

        await server.Process.WaitForStderrAsync(
            l => l.Contains("Refused an agent connection", StringComparison.Ordinal) && l.Contains("token is not known", StringComparison.Ordinal),
            "the server logs the refusal");
        Assert.Empty(await api.TryGetAgentsAsync() ?? throw new InvalidOperationException("The server does not answer."));
        Assert.False(server.Process.HasExited, server.Process.Describe());
    }

    [Fact]
    public async Task AgentWithWrongToken_StartedBeforeTheServer_ExitsWithAClearErrorOnceTheServerAnswers()
    {
        await using var mesh = new MeshProcesses(output);
        var port = FreePort.Next();
        var agent = await mesh.StartAgentAsync(new Uri($"http://127.0.0.1:{port}/"), "early-intruder", token: "not-the-token-0000", waitUntilConnected: false);
        await agent.WaitForStderrAsync(l => l.Contains("Cannot reach the server yet", StringComparison.Ordinal), "the agent retries while nothing listens", MeshProcesses.StartTimeout);

        await mesh.StartServerAsync(port);
        var exitCode = await agent.WaitForExitAsync("the agent to be refused once the server answers", TimeSpan.FromSeconds(60));

        Assert.True(exitCode != 0, agent.Describe());
        var error = Assert.Single(agent.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("token is not known", error, StringComparison.Ordinal);
    }
}
