using System.Text.Json;
using OrbitMesh.Agent;

namespace OrbitMesh.Cli.Tests.CommandLine;

/// <summary>The real command line: the built orbitmesh.dll run as a process.</summary>
public sealed class ProgramTests
{
    [Fact]
    public async Task Help_ListsEveryCommand()
    {
        var result = await OrbitMeshProcess.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Stderr);
        foreach (var command in new[] { "server", "agent", "agents", "demo" })
        {
            Assert.Matches($"(?m)^\\s+{command}\\s+\\S", result.Stdout);
        }
    }

    [Fact]
    public async Task AgentsHelp_ListsTheListCommand()
    {
        var result = await OrbitMeshProcess.RunAsync("agents", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Matches("(?m)^\\s+list\\s+List the agents the server knows\\.", result.Stdout);
    }

    [Fact]
    public async Task UnknownCommand_ExitsNonZero()
    {
        var result = await OrbitMeshProcess.RunAsync("frobnicate");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("frobnicate", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_WithoutToken_FailsWithOneErrorLine()
    {
        var result = await OrbitMeshProcess.RunAsync("agent", "--server", "http://127.0.0.1:1");

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.Equal("error: --data DIR (an enrolled node; with --enroll-token T the first time) or --token T (a shared development token) is required: agents never connect anonymously.", line);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Agent_ServerThatIsNotHttp_FailsWithOneErrorLine()
    {
        var result = await OrbitMeshProcess.RunAsync("agent", "--token", "t", "--server", "ftp://127.0.0.1:21");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("error: --server 'ftp://127.0.0.1:21' is not an http or https URL.", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task Server_InvalidSettings_FailsWithOneErrorLine()
    {
        var result = await OrbitMeshProcess.RunAsync("server", "--urls", $"http://127.0.0.1:{FreePort.Next()}", "--agent-token", "short");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("error: invalid settings: Every agent token must be at least 8 characters long.", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task AgentsList_NothingListening_FailsWithOneClearErrorLine()
    {
        var port = FreePort.Next();

        var result = await OrbitMeshProcess.RunAsync("agents", "list", "--server", $"http://127.0.0.1:{port}");

        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith($"error: Cannot reach the server at http://127.0.0.1:{port}/: ", line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task AgentsList_Json_PrintsAJsonArrayWithTheConnectedAgent()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("cli-json").WithCapabilities("gpu").WithGroups("blue").RegisterHandler("echo", c => c.Parameters).Build();
        await agent.ConnectAsync();

        var result = await OrbitMeshProcess.RunAsync("agents", "list", "--json", "--server", server.Url.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(result.Stderr);
        using var document = JsonDocument.Parse(result.Stdout);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        var listed = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal("cli-json", listed.GetProperty("id").GetString());
        Assert.Equal("Ready", listed.GetProperty("status").GetString());
        Assert.Equal("gpu", listed.GetProperty("capabilities")[0].GetString());
        Assert.Equal("echo", listed.GetProperty("commands")[0].GetString());
        Assert.Equal(MeshAgentOptions.DefaultMaxConcurrentJobs, listed.GetProperty("load").GetProperty("maxConcurrentJobs").GetInt32());
    }

    [Fact]
    public async Task AgentsList_WithoutJson_PrintsATable()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("cli-table").WithName("Table Agent").WithCapabilities("gpu", "linux").WithGroups("blue").Build();
        await agent.ConnectAsync();

        var result = await OrbitMeshProcess.RunAsync("agents", "list", "--server", server.Url.ToString());

        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches("^ID\\s+NAME\\s+STATUS\\s+CAPABILITIES\\s+GROUPS\\s+LOAD\\s+LAST HEARTBEAT$", lines[0]);
        Assert.Matches("^-+ +-+ ", lines[1]);
        Assert.Matches("^cli-table\\s+Table Agent\\s+Ready\\s+gpu,linux\\s+blue\\s+0/8\\s+\\d\\d:\\d\\d:\\d\\d$", lines[2]);
    }

    [Fact]
    public async Task AgentsList_NoAgents_SaysSo()
    {
        await using var server = await TestMeshServer.StartAsync();

        var result = await OrbitMeshProcess.RunAsync("agents", "list", "--server", server.Url.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("No agents." + Environment.NewLine, result.Stdout);
    }

    [Fact]
    public async Task AgentsList_ApiKeyRequired_FailsWithTheServersReasonAndSucceedsWithTheKey()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = "secret-key";
            o.Security.AllowAnonymousLoopbackApi = false;
        });

        var refused = await OrbitMeshProcess.RunAsync("agents", "list", "--server", server.Url.ToString());
        var accepted = await OrbitMeshProcess.RunAsync("agents", "list", "--json", "--server", server.Url.ToString(), "--api-key", "secret-key");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal("error: The server refused the request (401): This API requires credentials: send 'Authorization: Bearer <access token>' (POST /api/auth/login) or the X-Api-Key header.", Assert.Single(refused.StderrLines));
        Assert.Equal(0, accepted.ExitCode);
        Assert.Equal("[]", accepted.Stdout.Trim());
    }

    // SIGTERM only: SIGINT (Ctrl+C) takes the same path in System.CommandLine, but a test runner started
    // in the background by a shell ignores SIGINT, and so do the processes it starts.
    [Fact]
    public async Task Agent_ConnectsWithTheBuiltInHandlersAndStopsCleanlyOnSigterm()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var process = OrbitMeshProcess.Start(
            "agent", "--server", server.Url.ToString(), "--token", TestMeshServer.AgentToken, "--id", "cli-process",
            "--capability", "gpu", "--group", "blue", "--max-concurrent-jobs", "2", "--log-level", "Warning");

        await server.WaitForAgentAsync("cli-process", AgentStatus.Ready);
        var listed = server.Registry.GetAgent("cli-process")!;
        Assert.Equal(["echo", "sleep", "stream.count", "stream.echo", "system.info"], listed.Commands);
        Assert.Equal(["gpu"], listed.Capabilities);
        Assert.Equal(["blue"], listed.Groups);
        Assert.Equal(2, listed.Load!.MaxConcurrentJobs);
        Assert.Equal("hi", await server.Mesh.InvokeAsync<string>("cli-process", "echo", "hi"));
        await Wait.UntilAsync(() => process.StdoutSoFar.Contains("Agent cli-process connected", StringComparison.Ordinal), "the agent to say it connected");

        await process.SignalAsync("TERM");
        var result = await process.WaitAsync();

        Assert.Equal(0, result.ExitCode);
        await server.WaitForAgentAsync("cli-process", AgentStatus.Disconnected);
        Assert.True(server.Logs.Contains(2005), "the server saw a clean disconnect");
        Assert.False(server.Logs.Contains(2006), "the server saw the connection fail");
    }

    [Fact]
    public async Task Server_ServesAgentsAndStopsCleanlyOnSigterm()
    {
        var port = FreePort.Next();
        await using var process = OrbitMeshProcess.Start("server", "--urls", $"http://127.0.0.1:{port}", "--storage", "memory", "--agent-token", "cli-token", "--api-key", "cli-api-key-1", "--log-level", "Warning");
        await Wait.UntilAsync(() => process.StdoutSoFar.Contains("listening on", StringComparison.Ordinal), "the server to start");
        Assert.DoesNotContain("Agents enroll:", process.StdoutSoFar, StringComparison.Ordinal);

        await using (var agent = new MeshAgentBuilder().WithServer($"http://127.0.0.1:{port}").WithToken("cli-token").WithId("to-cli-server").Build())
        {
            await agent.ConnectAsync();
            var listed = await OrbitMeshProcess.RunAsync("agents", "list", "--json", "--server", $"http://127.0.0.1:{port}", "--api-key", "cli-api-key-1");
            Assert.Equal("to-cli-server", JsonDocument.Parse(listed.Stdout).RootElement[0].GetProperty("id").GetString());
        }

        await process.SignalAsync();
        var result = await process.WaitAsync();
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"listening on http://127.0.0.1:{port}", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_WithoutToken_GeneratesNone_AndRefusesSharedTokens()
    {
        var port = FreePort.Next();
        await using var process = OrbitMeshProcess.Start("server", "--urls", $"http://127.0.0.1:{port}", "--storage", "memory", "--log-level", "Warning");

        await Wait.UntilAsync(() => process.StdoutSoFar.Contains("Agents enroll:", StringComparison.Ordinal), "the server to say how agents enroll");
        Assert.DoesNotContain("token:", process.StdoutSoFar, StringComparison.Ordinal);

        await using (var agent = new MeshAgentBuilder().WithServer($"http://127.0.0.1:{port}").WithToken("any-shared-token").WithId("shared").Build())
        {
            var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());
            Assert.Contains("accepts no shared agent tokens", refusal.Message, StringComparison.Ordinal);
        }

        await process.SignalAsync();
        Assert.Equal(0, (await process.WaitAsync()).ExitCode);
    }
}
