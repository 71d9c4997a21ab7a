using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Interop;

/// <summary>
/// An agent written in JavaScript on the official <c>@microsoft/signalr</c> npm client, from
/// docs/protocol.md alone (tests/interop/js-agent/agent.mjs): the server speaks standard SignalR, and
/// the document is enough to write an agent in another language.
/// </summary>
public sealed class JavaScriptAgentTests(JavaScriptAgentTests.NodeModules modules, ITestOutputHelper output) : IClassFixture<JavaScriptAgentTests.NodeModules>
{
    [Theory]
    [InlineData("json")]
    [InlineData("messagepack")]
    public async Task JavaScriptAgent_RegistersHeartbeatsAnswersInvocationsAndIsListed(string protocol)
    {
        await using var server = await StartServerAsync(protocol);
        await using var agent = modules.StartAgent(server, "js-1", output, protocol);
        await agent.WaitForStdoutAsync(l => l.StartsWith("REGISTERED js-1", StringComparison.Ordinal) && l.EndsWith("protocol=" + protocol, StringComparison.Ordinal), "the JavaScript agent registers", TimeSpan.FromSeconds(30));

        var listed = await ListedAsync(server, "js-1", a => a.Status == AgentStatus.Ready);
        Assert.Equal("JavaScript agent js-1", listed.Name);
        Assert.Equal(["javascript", "node"], listed.Capabilities.Order(StringComparer.Ordinal));
        Assert.Equal(["interop"], listed.Groups);
        Assert.Equal(["js.count", "js.echo"], listed.Commands.Order(StringComparer.Ordinal));
        Assert.StartsWith("node v", listed.Metadata["runtime"], StringComparison.Ordinal);
        Assert.Equal(2, listed.Load!.MaxConcurrentJobs);

        // Heartbeats arrive: the last one moves forward, and the agent stays Ready past the Unreachable threshold.
        var first = listed.LastHeartbeatAt!.Value;
        var later = await ListedAsync(server, "js-1", a => a.LastHeartbeatAt > first.AddMilliseconds(600));
        Assert.Equal(AgentStatus.Ready, later.Status);
        Assert.True(later.Load!.WorkingSetBytes > 0, "the heartbeat carries the agent's memory");

        // A server → agent invocation with a client result.
        var answer = await server.Mesh.InvokeAsync<JsonElement>("js-1", "js.echo", new { greeting = "hello", n = 42 });
        Assert.Equal("hello", answer.GetProperty("greeting").GetString());
        Assert.Equal(42, answer.GetProperty("n").GetInt32());
        Assert.Equal("node", answer.GetProperty("runtime").GetString());

        var unknown = await Assert.ThrowsAsync<MeshInvocationException>(() => server.Mesh.InvokeAsync<JsonElement>("js-1", "js.missing"));
        Assert.Equal(MeshErrorCodes.UnknownCommand, unknown.Code);

        // Listed over REST as well.
        using var http = new HttpClient { BaseAddress = server.Url };
        var json = await http.GetStringAsync(new Uri("/api/agents/js-1", UriKind.Relative));
        Assert.Equal("Ready", JsonDocument.Parse(json).RootElement.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("json")]
    [InlineData("messagepack")]
    public async Task JavaScriptAgent_AcknowledgesReportsProgressStreamsItemsAndCompletesAJob(string protocol)
    {
        await using var server = await StartServerAsync(protocol);
        await using var agent = modules.StartAgent(server, "js-2", output, protocol);
        await agent.WaitForStdoutAsync(l => l.StartsWith("REGISTERED js-2", StringComparison.Ordinal), "the JavaScript agent registers", TimeSpan.FromSeconds(30));
        await ListedAsync(server, "js-2", a => a.Status == AgentStatus.Ready);

        var job = await server.Mesh.SubmitAsync(new JobRequest
        {
            Command = "js.count",
            Parameters = OrbitMeshJson.ToElement(new { n = 4 }),
            Pattern = ExecutionPattern.Streaming,
            Target = AgentTarget.WithCapability("javascript"),
        });

        var events = new List<JobEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in server.Mesh.WatchJobAsync(job.Id, timeout.Token))
        {
            events.Add(e);
            if (e.IsFinal)
            {
                break;
            }
        }

        var statuses = events.Where(e => e.Type == JobEventType.Status).Select(e => e.Status).ToList();
        Assert.Equal(JobStatus.Completed, statuses[^1]);
        Assert.Contains(JobStatus.Running, statuses);
        var progress = events.Where(e => e.Type == JobEventType.Progress).ToList();
        Assert.Equal([25.0, 50.0, 75.0, 100.0], progress.Select(p => p.Percent!.Value));
        Assert.Equal("counted 4 of 4", progress[^1].Message);
        Assert.Equal([1, 2, 3, 4], events.Where(e => e.Type == JobEventType.Item).Select(e => e.Item!.Value.GetInt32()));

        var record = (await server.Mesh.GetJobAsync(job.Id))!;
        Assert.Equal(JobStatus.Completed, record.Status);
        Assert.Equal("js-2", record.AgentId);
        Assert.Equal(1, record.Attempt);
        Assert.Equal(4, record.Result!.Value.GetProperty("count").GetInt32());

        // The streaming API sees the same items.
        var streamed = new List<int>();
        await foreach (var item in server.Mesh.StreamAsync<int>(new JobRequest { Command = "js.count", Parameters = OrbitMeshJson.ToElement(new { n = 3 }) }, timeout.Token))
        {
            streamed.Add(item);
        }

        Assert.Equal([1, 2, 3], streamed);
    }

    [Fact]
    public async Task JavaScriptAgent_EnrollsAsANode_ProvesItsKey_AndReceivesOnlyGrantedCommands()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(300));
        using var http = new HttpClient { BaseAddress = server.Url };
        using var created = await http.PostAsJsonAsync("/api/tokens", new OrbitMesh.Security.BootstrapTokenRequest(), OrbitMeshJson.Options);
        var token = (await created.Content.ReadFromJsonAsync<OrbitMesh.Security.BootstrapTokenView>(OrbitMeshJson.Options))!.Token!;

        await using var agent = modules.StartProgram(server, ["--enroll-token", token, "--id", "js-node"], "js-node", output);
        await agent.WaitForStdoutAsync(l => l == "PENDING js-node", "the JavaScript node asks to enroll", TimeSpan.FromSeconds(30));
        using (var approve = await http.PostAsJsonAsync("/api/nodes/js-node/approve", new OrbitMesh.Security.NodeDecision { Capabilities = ["js.echo", "node", "javascript"] }, OrbitMeshJson.Options))
        {
            approve.EnsureSuccessStatusCode();
        }

        await agent.WaitForStdoutAsync(l => l.StartsWith("REGISTERED js-node", StringComparison.Ordinal), "the approved JavaScript node connects with its proof", TimeSpan.FromSeconds(30));
        await ListedAsync(server, "js-node", a => a.Status == AgentStatus.Ready);
        var answer = await server.Mesh.InvokeAsync<JsonElement>("js-node", "js.echo", new { n = 7 });
        Assert.Equal(7, answer.GetProperty("n").GetInt32());

        // js.count is one of its handlers, but it was not granted: never sent.
        var refused = await Assert.ThrowsAsync<MeshInvocationException>(() => server.Mesh.InvokeAsync<JsonElement>("js-node", "js.count"));
        Assert.Equal(MeshErrorCodes.NotAllowed, refused.Code);
    }

    /// <summary>A server whose hub speaks only <paramref name="protocol"/>, so an agent on the other one fails its handshake.</summary>
    private static Task<TestMeshServer> StartServerAsync(string protocol) =>
        TestMeshServer.StartAsync(
            o => o.HeartbeatInterval = TimeSpan.FromMilliseconds(300),
            services: s => s.Configure<Microsoft.AspNetCore.SignalR.HubOptions<OrbitMesh.Server.Hubs.AgentHub>>(h => h.SupportedProtocols = [protocol]));

    private static async Task<AgentInfo> ListedAsync(TestMeshServer server, string id, Func<AgentInfo, bool> condition)
    {
        AgentInfo? agent = null;
        await Wait.UntilAsync(() => (agent = server.Registry.GetAgent(id)) is { } a && condition(a), $"agent {id} is listed as expected", TimeSpan.FromSeconds(20));
        return agent!;
    }

    /// <summary>Installs the JavaScript agent's packages once (npm ci), from its lockfile.</summary>
    public sealed class NodeModules
    {
        public NodeModules()
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "OrbitMesh.slnx")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root (OrbitMesh.slnx) is not above the test directory.");
            }

            Directory = Path.Combine(root, "tests", "interop", "js-agent");
            if (!File.Exists(Path.Combine(Directory, "node_modules", "@microsoft", "signalr", "package.json"))
                || !File.Exists(Path.Combine(Directory, "node_modules", "@microsoft", "signalr-protocol-msgpack", "package.json")))
            {
                Run("npm", "ci --no-audit --no-fund");
            }
        }

        public string Directory { get; }

        public CliProcess StartAgent(TestMeshServer server, string id, ITestOutputHelper output, string protocol = "json") =>
            StartProgram(server, ["--token", TestMeshServer.AgentToken, "--id", id, "--protocol", protocol], id, output);

        public CliProcess StartProgram(TestMeshServer server, string[] arguments, string name, ITestOutputHelper output) =>
            CliProcess.StartProgram($"js-agent-{name}", "node", ["agent.mjs", "--server", server.Url.ToString().TrimEnd('/'), .. arguments], Directory, output);

        private void Run(string program, string arguments)
        {
            var info = new ProcessStartInfo(program, arguments) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}: is Node.js installed? (.ci/run installs it.)");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{program} {arguments} did not finish within 3 minutes.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{program} {arguments} failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
            }
        }
    }
}
