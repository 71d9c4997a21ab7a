using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Agents;

/// <summary>The agent and server commands' transport and stateful-reconnect flags, across real processes.</summary>
public sealed class AgentTransportTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("sse")]
    [InlineData("longpolling")]
    public async Task AgentOnOneTransport_RunsAJob(string transport)
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ["--stateful-reconnects"]);
        var id = "on-" + transport;
        await mesh.StartAgentAsync(server.Url, id, extraArguments: ["--transport", transport, "--stateful-reconnect"]);

        var echo = await mesh.RunAsync("echo", CliTimeout, "jobs", "submit", "echo", "--agent", id, "--param", "x=1", "--wait", "--json", "--server", server.UrlText);

        Assert.True(echo.ExitCode == 0, mesh.DescribeAll());
        Assert.Equal("Completed", JsonDocument.Parse(echo.Stdout).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task AgentOnMessagePack_RunsAJob()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "on-msgpack", extraArguments: ["--protocol", "messagepack"]);

        var echo = await mesh.RunAsync("echo", CliTimeout, "jobs", "submit", "echo", "--agent", "on-msgpack", "--param", "x=1", "--wait", "--json", "--server", server.UrlText);

        Assert.True(echo.ExitCode == 0, mesh.DescribeAll());
        var job = JsonDocument.Parse(echo.Stdout).RootElement;
        Assert.Equal("Completed", job.GetProperty("status").GetString());
        Assert.Contains("\"x\"", job.GetProperty("result").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownTransport_IsRefusedWithTheChoices()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        var agent = await mesh.StartAgentAsync(server.Url, "confused", waitUntilConnected: false, extraArguments: ["--transport", "carrier-pigeon"]);

        Assert.NotEqual(0, await agent.WaitForExitAsync("the agent to refuse the transport", CliTimeout));
        Assert.Contains(agent.StderrLines, l => l.Contains("Unknown transport 'carrier-pigeon'", StringComparison.Ordinal) && l.Contains("websockets, sse or longpolling", StringComparison.Ordinal));
    }
}
