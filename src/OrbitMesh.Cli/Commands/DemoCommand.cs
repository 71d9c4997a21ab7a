using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Net.Http.Json;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Cli.Handlers;
using OrbitMesh.Cli.Hosting;
using OrbitMesh.Cli.Output;
using OrbitMesh.Workflows;
using OrbitMesh.Client;
using OrbitMesh.Security;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>orbitmesh demo</c>: one process, a server on a free loopback port with its data in a temp
/// directory, three agents, every feature that exists run once, and a summary. Exit 0 when every step passed.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var logLevel = CommonOptions.LogLevelOption(LogLevel.Error);
        var keep = new Option<bool>("--keep-data") { Description = "Keep the temp data directory instead of deleting it." };
        var command = new Command("demo", "Start a server and three agents in this process, run every execution pattern, print a summary.") { logLevel, keep };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(logLevel), result.GetValue(keep), Console.Out, cancellationToken));
        return command;
    }

    internal static async Task<int> RunAsync(LogLevel logLevel, bool keepData, TextWriter output, CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "orbitmesh-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(dataDirectory);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var steps = new List<(string Name, bool Ok, string Detail, TimeSpan Elapsed)>();
        using var loggerFactory = CliLogging.CreateFactory(logLevel, json: false);
        var agents = new List<MeshAgent>();

        output.WriteLine("OrbitMesh demo");
        output.WriteLine($"  data directory: {dataDirectory}");

        await using var app = ServerHost.Build(new ServerSettings
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = dataDirectory,
            AgentTokens = [token],
            ApiKey = apiKey,
            LogLevel = logLevel,
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            // The demo ends when its jobs have run: nobody would look at a dashboard (orbitmesh server serves one).
            Dashboard = false,
        });

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var serverUrl = new Uri(app.Urls.First());
            output.WriteLine($"  server: {serverUrl}");
            var mesh = app.Services.GetRequiredService<IMeshClient>();

            async Task Step(string name, Func<Task<string>> action)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var detail = await action().ConfigureAwait(false);
                    steps.Add((name, true, detail, watch.Elapsed));
                    output.WriteLine($"  [ok]   {name}: {detail}");
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    steps.Add((name, false, ex.Message, watch.Elapsed));
                    output.WriteLine($"  [FAIL] {name}: {ex.Message}");
                }
            }

            await Step("connect 3 agents", async () =>
            {
                (string Id, string[] Capabilities, string Group)[] specs =
                [
                    ("agent-1", ["linux", "gpu"], "blue"),
                    ("agent-2", ["linux"], "blue"),
                    ("agent-3", ["linux", "high-memory"], "green"),
                ];
                foreach (var (id, capabilities, group) in specs)
                {
                    var agent = new MeshAgentBuilder()
                        .WithServer(serverUrl)
                        .WithToken(token)
                        .WithId(id)
                        .WithCapabilities(capabilities)
                        .WithGroups(group)
                        .WithLoggerFactory(loggerFactory)
                        .AddBuiltInHandlers()
                        .Build();
                    agents.Add(agent);
                    await agent.ConnectAsync(cancellationToken).ConfigureAwait(false);
                }

                await WaitUntilAsync(async () => (await mesh.GetAgentsAsync(cancellationToken).ConfigureAwait(false)).Count(a => a.Status == AgentStatus.Ready) == 3,
                    TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
                return "3 agents registered and Ready";
            }).ConfigureAwait(false);

            await Step("list agents (REST GET /api/agents)", async () =>
            {
                using var remote = new MeshHttpClient(serverUrl, apiKey);
                var listed = await remote.GetAgentsAsync(cancellationToken).ConfigureAwait(false);
                output.WriteLine();
                output.Write(Indent(AgentsCommand.Render(listed)));
                return $"{listed.Count} agents listed";
            }).ConfigureAwait(false);

            await Step("request-response: echo on agent-1", async () =>
            {
                var echoed = await mesh.InvokeAsync<JsonElement>("agent-1", "echo", new { greeting = "hello", n = 42 }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return echoed.GetRawText();
            }).ConfigureAwait(false);

            await Step("request-response: system.info on every agent", async () =>
            {
                var infos = await Task.WhenAll(agents.Select(a =>
                    mesh.InvokeAsync<JsonElement>(a.Id, "system.info", cancellationToken: cancellationToken))).ConfigureAwait(false);
                return string.Join("; ", infos.Select((info, i) =>
                    $"{agents[i].Id}: {info.GetProperty("processorCount").GetInt32()} cores, {info.GetProperty("totalMemoryBytes").GetInt64() / (1024 * 1024)} MiB"));
            }).ConfigureAwait(false);

            await Step("stream.count on agent-2 (collected)", async () =>
            {
                var items = await mesh.InvokeAsync<int[]>("agent-2", "stream.count", new { n = 5 }, cancellationToken: cancellationToken).ConfigureAwait(false);
                return "[" + string.Join(", ", items ?? []) + "]";
            }).ConfigureAwait(false);

            await Step("timeout: sleep 5 s with a 300 ms limit", async () =>
            {
                try
                {
                    await mesh.InvokeAsync<JsonElement>("agent-3", "sleep", new { ms = 5000 }, TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
                }
                catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.Timeout)
                {
                    return $"timed out as asked ({ex.Code})";
                }

                throw new InvalidOperationException("The sleep was expected to time out.");
            }).ConfigureAwait(false);

            await Step("job, request-response: echo (durable, awaited)", async () =>
            {
                var result = await mesh.ExecuteAsync(new JobRequest { Command = "echo", Parameters = Json(new { order = 7 }) }, cancellationToken).ConfigureAwait(false);
                return $"{result.Status} on {result.AgentId}: {result.Result?.GetRawText()}";
            }).ConfigureAwait(false);

            await Step("job, fire-and-forget: submitted, runs on its own", async () =>
            {
                var job = await mesh.SubmitAsync(new JobRequest { Command = "echo", Pattern = ExecutionPattern.FireAndForget, Parameters = Json(new { note = "no one waits" }) }, cancellationToken).ConfigureAwait(false);
                await WaitUntilAsync(async () => (await mesh.GetJobAsync(job.Id, cancellationToken).ConfigureAwait(false))?.IsFinal == true, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                var done = await mesh.GetJobAsync(job.Id, cancellationToken).ConfigureAwait(false);
                return $"returned at once as {job.Status}; later {done!.Status}";
            }).ConfigureAwait(false);

            await Step("job, long-running: sleep 1 s with progress", async () =>
            {
                var job = await mesh.SubmitAsync(new JobRequest { Command = "sleep", Pattern = ExecutionPattern.LongRunning, Parameters = Json(new { ms = 1000 }) }, cancellationToken).ConfigureAwait(false);
                var progress = 0;
                JobEvent? last = null;
                await foreach (var jobEvent in mesh.WatchJobAsync(job.Id, cancellationToken).ConfigureAwait(false))
                {
                    progress += jobEvent.Type == JobEventType.Progress ? 1 : 0;
                    last = jobEvent;
                }

                return $"{progress} progress reports, then {last?.Status}";
            }).ConfigureAwait(false);

            await Step("job, streaming: stream.count n=10 as IAsyncEnumerable", async () =>
            {
                var items = new List<int>();
                await foreach (var item in mesh.StreamAsync<int>(new JobRequest { Command = "stream.count", Parameters = Json(new { n = 10 }) }, cancellationToken).ConfigureAwait(false))
                {
                    items.Add(item);
                }

                return "[" + string.Join(", ", items) + "]";
            }).ConfigureAwait(false);

            await Step("job, input stream: caller streams words to stream.echo", async () =>
            {
                var echoed = new List<string>();
                await foreach (var word in mesh.StreamAsync<string, string>(new JobRequest { Command = "stream.echo" }, Words(), cancellationToken).ConfigureAwait(false))
                {
                    echoed.Add(word);
                }

                return string.Join(" ", echoed);
            }).ConfigureAwait(false);

            await Step("job, workflow step: correlated with its run", async () =>
            {
                var result = await mesh.ExecuteAsync(new JobRequest { Command = "echo", Pattern = ExecutionPattern.Workflow, CorrelationId = "run-42/step-1", Parameters = Json(new { step = 1 }) }, cancellationToken).ConfigureAwait(false);
                var job = await mesh.GetJobAsync(result.JobId, cancellationToken).ConfigureAwait(false);
                return $"{result.Status}, correlation '{job!.CorrelationId}'";
            }).ConfigureAwait(false);

            await Step("job, cancellation reaches the handler", async () =>
            {
                var job = await mesh.SubmitAsync(new JobRequest { Command = "sleep", Parameters = Json(new { ms = 30_000 }) }, cancellationToken).ConfigureAwait(false);
                await WaitUntilAsync(async () => (await mesh.GetJobAsync(job.Id, cancellationToken).ConfigureAwait(false))?.Status == JobStatus.Running, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                await mesh.CancelJobAsync(job.Id, cancellationToken).ConfigureAwait(false);
                await WaitUntilAsync(async () => (await mesh.GetJobAsync(job.Id, cancellationToken).ConfigureAwait(false))?.IsFinal == true, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                var done = await mesh.GetJobAsync(job.Id, cancellationToken).ConfigureAwait(false);
                return $"{done!.Status}: {done.Error?.Message}";
            }).ConfigureAwait(false);

            await Step("job, timeout: sleep 5 s with a 300 ms limit", async () =>
            {
                var result = await mesh.ExecuteAsync(new JobRequest { Command = "sleep", Parameters = Json(new { ms = 5000 }), Timeout = TimeSpan.FromMilliseconds(300) }, cancellationToken).ConfigureAwait(false);
                return result.Status == JobStatus.TimedOut ? $"{result.Status}: {result.Error?.Message}" : throw new InvalidOperationException($"Expected TimedOut, got {result.Status}.");
            }).ConfigureAwait(false);

            await Step("job, idempotency: same key twice, one run", async () =>
            {
                var request = new JobRequest { Command = "echo", IdempotencyKey = "demo-key-1", Parameters = Json(new { once = true }) };
                var first = await mesh.ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
                var second = await mesh.SubmitAsync(request with { Id = MeshIds.NewJobId() }, cancellationToken).ConfigureAwait(false);
                return first.JobId == second.Id ? $"both are {first.JobId}" : throw new InvalidOperationException("A second job was created.");
            }).ConfigureAwait(false);

            await Step("fan-out: system.info on every agent", async () =>
            {
                var results = await mesh.ExecuteOnAllAsync(new JobRequest { Command = "system.info" }, cancellationToken).ConfigureAwait(false);
                return $"{results.Count(r => r.IsSuccess)} of {results.Count} agents answered";
            }).ConfigureAwait(false);

            await Step("rolling: echo on the blue group, 50% per batch", async () =>
            {
                var rolling = await mesh.ExecuteRollingAsync(new JobRequest { Command = "echo", Target = AgentTarget.InGroup("blue") }, 50, cancellationToken).ConfigureAwait(false);
                return $"{rolling.Batches.Count} batches of {string.Join("+", rolling.Batches.Select(b => b.Count))}, completed: {rolling.Completed}";
            }).ConfigureAwait(false);

            await Step("security: enroll a node, approve it, connect by proving its key", async () =>
            {
                // An admin creates a bootstrap token; the node enrolls with it and waits; the admin grants
                // it 'echo' only; the node connects with a signed challenge and gets only what it was granted.
                using var admin = new HttpClient { BaseAddress = serverUrl };
                admin.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
                using var created = await admin.PostAsJsonAsync("/api/tokens", new BootstrapTokenRequest { Uses = 1 }, OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false);
                created.EnsureSuccessStatusCode();
                var bootstrap = (await created.Content.ReadFromJsonAsync<BootstrapTokenView>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false))!.Token!;
                using var http = new HttpClient();
                var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var enrolling = new NodeEnrollmentClient(http, serverUrl).EnsureEnrolledAsync(
                    Path.Combine(dataDirectory, "node-4"), "node-4", bootstrap, "Enrolled node", ["echo"], TimeSpan.FromMilliseconds(100), _ => waiting.TrySetResult(), cancellationToken);
                await waiting.Task.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
                using (var approved = await admin.PostAsJsonAsync("/api/nodes/node-4/approve", new NodeDecision { Capabilities = ["echo"] }, OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false))
                {
                    approved.EnsureSuccessStatusCode();
                }

                using var identity = await enrolling.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
                await using var node = new MeshAgentBuilder().WithServer(serverUrl).WithNodeIdentity(identity, http).WithLoggerFactory(loggerFactory).AddBuiltInHandlers().Build();
                await node.ConnectAsync(cancellationToken).ConfigureAwait(false);
                var echoed = await mesh.InvokeAsync<JsonElement>("node-4", "echo", new { enrolled = true }, cancellationToken: cancellationToken).ConfigureAwait(false);
                try
                {
                    await mesh.InvokeAsync<JsonElement>("node-4", "system.info", cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.NotAllowed)
                {
                    return $"node-4 approved with echo, connected by challenge-response, echo answered {echoed.GetRawText()}, system.info refused (not granted)";
                }

                throw new InvalidOperationException("A command outside the node's grants was expected to be refused.");
            }).ConfigureAwait(false);

            var workflows = app.Services.GetRequiredService<IWorkflowClient>();
            await Step("workflow: deploy DAG across 3 agents", () => DemoWorkflows.RunDeployAsync(workflows, output, cancellationToken)).ConfigureAwait(false);
            await Step("workflow: a failed branch compensates in reverse order", () => DemoWorkflows.RunFailingDeployAsync(workflows, output, cancellationToken)).ConfigureAwait(false);
            await Step("workflow: rolling run over 3 agents at 50% per batch", () => DemoWorkflows.RunRollingAsync(workflows, output, cancellationToken)).ConfigureAwait(false);

            await Step("bad input: a command no agent has", async () =>
            {
                try
                {
                    await mesh.InvokeAsync<JsonElement>("agent-1", "no.such.command", cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (MeshInvocationException ex) when (ex.Code == MeshErrorCodes.UnknownCommand)
                {
                    return $"refused clearly: {ex.Error.Message}";
                }

                throw new InvalidOperationException("The unknown command was expected to fail.");
            }).ConfigureAwait(false);
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            if (!keepData)
            {
                TryDelete(dataDirectory);
            }
        }

        output.WriteLine();
        output.WriteLine("Summary");
        var summary = new TextTable("STEP", "RESULT", "TIME");
        foreach (var (name, ok, _, elapsed) in steps)
        {
            summary.AddRow(name, ok ? "ok" : "FAILED", elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms");
        }

        output.Write(Indent(summary.ToString()));
        var failed = steps.Count(s => !s.Ok);
        output.WriteLine(failed == 0 ? $"All {steps.Count} steps passed." : $"{failed} of {steps.Count} steps failed.");
        return failed == 0 ? 0 : 1;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"The condition was not met within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value, OrbitMeshJson.Options);

    private static async IAsyncEnumerable<string> Words()
    {
        foreach (var word in new[] { "input", "streams", "flow", "to", "the", "agent" })
        {
            await Task.Yield();
            yield return word;
        }
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.TrimEnd().Split(Environment.NewLine).Select(line => "    " + line)) + Environment.NewLine;

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
