using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Agent;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Bench;

/// <summary>The scenarios. Each measures its baseline in the same run and returns its metrics.</summary>
internal static partial class Scenarios
{
    private static readonly TimeSpan ScenarioLimit = TimeSpan.FromMinutes(5);

    public static readonly IReadOnlyDictionary<string, Func<BenchSettings, Task<Dictionary<string, double>>>> All =
        new Dictionary<string, Func<BenchSettings, Task<Dictionary<string, double>>>>(StringComparer.Ordinal)
        {
            ["connections"] = ConnectionsAsync,
            ["request-response"] = RequestResponseAsync,
            ["fire-and-forget"] = FireAndForgetAsync,
            ["streaming"] = StreamingAsync,
            ["jobs-persisted"] = JobsPersistedAsync,
            ["jobs-persisted-postgres"] = JobsPersistedPostgresAsync,
            ["workflows"] = WorkflowsAsync,
            ["reconnect-storm"] = ReconnectStormAsync,
            ["node-connect"] = NodeConnectAsync,
            ["wasm"] = WasmAsync,
            ["cron"] = CronAsync,
            ["metrics-scrape"] = MetricsScrapeAsync,
            ["grid"] = GridAsync,
        };

    /// <summary>N agents connect and register: seconds until all are listed, and server memory per agent; baseline: N bare SignalR connections.</summary>
    public static async Task<Dictionary<string, double>> ConnectionsAsync(BenchSettings settings)
    {
        var n = settings.Agents;
        var metrics = new Dictionary<string, double> { ["agents"] = n };

        await using (var server = await ServerProcess.StartAsync("sqlite"))
        {
            await Settle();
            var before = server.RssBytes();
            var agents = new List<MeshAgent>(n);
            var watch = Stopwatch.StartNew();
            await ForEachAsync(Enumerable.Range(0, n), 128, async i =>
            {
                var agent = new MeshAgentBuilder()
                    .WithServer(server.Url)
                    .WithToken(BenchServer.Token)
                    .WithId($"load-{i:D6}")
                    .WithCapabilities("bench")
                    .RegisterHandler("echo", c => c.Parameters)
                    .Configure(o => o.RetryInitialConnection = true)
                    .Build();
                await agent.ConnectAsync();
                lock (agents)
                {
                    agents.Add(agent);
                }
            });
            await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() >= n, ScenarioLimit);
            metrics["seconds_until_all_registered"] = watch.Elapsed.TotalSeconds;
            metrics["registrations_per_second"] = n / watch.Elapsed.TotalSeconds;
            await Settle();
            var after = server.RssBytes();
            metrics["server_rss_before_mb"] = before / 1048576.0;
            metrics["server_rss_after_mb"] = after / 1048576.0;
            metrics["kb_per_agent"] = (after - before) / 1024.0 / n;
            await ForEachAsync(agents, 256, a => a.DisposeAsync().AsTask());
        }

        await using (var bare = await ServerProcess.StartAsync("memory"))
        {
            await Settle();
            var before = bare.RssBytes();
            var connections = new List<HubConnection>(n);
            var watch = Stopwatch.StartNew();
            await ForEachAsync(Enumerable.Range(0, n), 128, async _ =>
            {
                var connection = new HubConnectionBuilder().WithMeshHub(new Uri(bare.Url, "/bare")).Build();
                await connection.StartAsync();
                await connection.InvokeAsync<string>("Echo", "hello");
                lock (connections)
                {
                    connections.Add(connection);
                }
            });
            metrics["baseline_seconds_until_all_connected"] = watch.Elapsed.TotalSeconds;
            await Settle();
            var after = bare.RssBytes();
            metrics["baseline_kb_per_connection"] = (after - before) / 1024.0 / n;
            metrics["memory_ratio_to_baseline"] = metrics["kb_per_agent"] / Math.Max(0.001, metrics["baseline_kb_per_connection"]);
            await ForEachAsync(connections, 256, c => c.DisposeAsync().AsTask());
        }

        return metrics;
    }

    /// <summary>Communication-level invocations through the whole path (caller → server → agent → server → caller) with 2 agents, at concurrency 1 and 64; baseline: bare hub echo.</summary>
    public static async Task<Dictionary<string, double>> RequestResponseAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double>();
        await using var server = await ServerProcess.StartAsync("memory");
        var agents = await StartAgentsAsync(server, 2, maxConcurrentJobs: 128);
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();
        await using var bare = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bare")).Build();
        await bare.StartAsync();

        foreach (var concurrency in new[] { 1, 64 })
        {
            var (mesh, meshLatency) = await Latency.MeasureAsync(concurrency, settings.Warmup, settings.Duration,
                worker => caller.InvokeAsync<JsonElement>("Invoke", agents[worker % 2].Id, "x"));
            var (baseline, baseLatency) = await Latency.MeasureAsync(concurrency, settings.Warmup, settings.Duration,
                _ => bare.InvokeAsync<string>("Echo", "x"));
            metrics[$"c{concurrency}_ops_per_second"] = mesh;
            metrics[$"c{concurrency}_p50_ms"] = meshLatency.PercentileMs(50);
            metrics[$"c{concurrency}_p99_ms"] = meshLatency.PercentileMs(99);
            metrics[$"c{concurrency}_baseline_ops_per_second"] = baseline;
            metrics[$"c{concurrency}_baseline_p50_ms"] = baseLatency.PercentileMs(50);
            metrics[$"c{concurrency}_baseline_p99_ms"] = baseLatency.PercentileMs(99);
            metrics[$"c{concurrency}_ratio_to_baseline"] = mesh / baseline;
        }

        await DisposeAllAsync(agents);
        return metrics;
    }

    /// <summary>Messages sent to an agent with <c>SendAsync</c>, counted when its handler ran; baseline: bare hub sends to a bare client.</summary>
    public static async Task<Dictionary<string, double>> FireAndForgetAsync(BenchSettings settings)
    {
        var count = settings.Messages;
        var metrics = new Dictionary<string, double> { ["messages"] = count };
        await using var server = await ServerProcess.StartAsync("memory");
        var received = 0L;
        var agent = new MeshAgentBuilder().WithServer(server.Url).WithToken(BenchServer.Token).WithId("ff-agent")
            .RegisterHandler("tick", _ =>
            {
                Interlocked.Increment(ref received);
                return null;
            })
            .Build();
        await agent.ConnectAsync();
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();

        var watch = Stopwatch.StartNew();
        await caller.InvokeAsync<int>("Notify", "ff-agent", count);
        await WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref received) >= count), ScenarioLimit);
        metrics["messages_per_second"] = count / watch.Elapsed.TotalSeconds;
        await agent.DisposeAsync();

        var ticks = 0L;
        await using var bare = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bare")).Build();
        bare.On<int>("Tick", _ => Interlocked.Increment(ref ticks));
        await bare.StartAsync();
        watch.Restart();
        await bare.InvokeAsync("Burst", count);
        await WaitUntilAsync(() => Task.FromResult(Interlocked.Read(ref ticks) >= count), ScenarioLimit);
        metrics["baseline_messages_per_second"] = count / watch.Elapsed.TotalSeconds;
        metrics["ratio_to_baseline"] = metrics["messages_per_second"] / metrics["baseline_messages_per_second"];
        return metrics;
    }

    /// <summary>Items streamed by one agent's handler to a caller of <c>StreamAsync</c>.</summary>
    public static async Task<Dictionary<string, double>> StreamingAsync(BenchSettings settings)
    {
        var count = settings.Messages * 2;
        await using var server = await ServerProcess.StartAsync("memory");
        var agents = await StartAgentsAsync(server, 1, maxConcurrentJobs: 8);
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();
        await caller.InvokeAsync<long>("Stream", 1000);

        var watch = Stopwatch.StartNew();
        var items = await caller.InvokeAsync<long>("Stream", count);
        var seconds = watch.Elapsed.TotalSeconds;
        await DisposeAllAsync(agents);
        return new Dictionary<string, double> { ["items"] = items, ["items_per_second"] = items / seconds };
    }

    /// <summary>
    /// Durable no-op jobs end to end (submit, persist, dispatch, acknowledge, complete, persist, answer)
    /// with 2 agents on SQLite; baseline: the same on the in-memory store. Also the database size after
    /// the run and after compaction.
    /// </summary>
    public static async Task<Dictionary<string, double>> JobsPersistedAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double> { ["jobs"] = settings.Jobs };
        foreach (var storage in new[] { "sqlite", "memory" })
        {
            var prefix = storage == "sqlite" ? string.Empty : "baseline_";
            await using var server = await ServerProcess.StartAsync(storage);
            await MeasureJobsAsync(server, settings, prefix, metrics);
            if (storage == "sqlite")
            {
                metrics["db_mb_after_run"] = await server.DatabaseBytesAsync() / 1048576.0;
                var retention = await server.RunRetentionAsync();
                metrics["events_compacted"] = retention.GetProperty("eventsDeleted").GetInt32();
                metrics["db_mb_after_compaction"] = await server.DatabaseBytesAsync() / 1048576.0;
            }
        }

        metrics["ratio_to_baseline"] = metrics["jobs_per_second"] / metrics["baseline_jobs_per_second"];
        return metrics;
    }

    /// <summary>
    /// The same durable no-op jobs on one server with PostgreSQL ($ORBITMESH_BENCH_POSTGRES, a fresh schema), beside SQLite
    /// and the in-memory store measured in the same run.
    /// </summary>
    public static async Task<Dictionary<string, double>> JobsPersistedPostgresAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double> { ["jobs"] = settings.Jobs };
        foreach (var storage in new[] { "postgres", "sqlite", "memory" })
        {
            var prefix = storage switch { "postgres" => string.Empty, "sqlite" => "sqlite_", _ => "baseline_" };
            await using var server = await ServerProcess.StartAsync(storage, data: storage == "postgres" ? "bench_" + Guid.NewGuid().ToString("N")[..10] : null);
            await MeasureJobsAsync(server, settings, prefix, metrics);
        }

        metrics["ratio_to_sqlite"] = metrics["jobs_per_second"] / metrics["sqlite_jobs_per_second"];
        metrics["ratio_to_baseline"] = metrics["jobs_per_second"] / metrics["baseline_jobs_per_second"];
        return metrics;
    }

    /// <summary>The PostgreSQL database the bench uses.</summary>
    public static string PostgresConnectionString() =>
        Environment.GetEnvironmentVariable("ORBITMESH_BENCH_POSTGRES") is { Length: > 0 } value ? value
        : Environment.GetEnvironmentVariable("ORBITMESH_TEST_POSTGRES") is { Length: > 0 } test ? test
        : throw new InvalidOperationException("Set ORBITMESH_BENCH_POSTGRES to an Npgsql connection string of a PostgreSQL server the bench may create schemas in.");

    /// <summary>Durable no-op jobs end to end with 2 agents: 64 concurrent callers, then one at a time.</summary>
    private static async Task MeasureJobsAsync(ServerProcess server, BenchSettings settings, string prefix, Dictionary<string, double> metrics)
    {
        var agents = await StartAgentsAsync(server, 2, maxConcurrentJobs: 64);
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();
        for (var i = 0; i < 200; i++)
        {
            await caller.InvokeAsync<string>("Execute", "noop");
        }

        var latency = new Latency();
        var remaining = settings.Jobs;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var start = Stopwatch.GetTimestamp();
                var status = await caller.InvokeAsync<string>("Execute", "noop");
                latency.Add(Stopwatch.GetTimestamp() - start);
                if (status != "Completed")
                {
                    throw new InvalidOperationException($"A benchmark job ended {status}.");
                }
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        metrics[prefix + "jobs_per_second"] = settings.Jobs / seconds;
        metrics[prefix + "p50_ms"] = latency.PercentileMs(50);
        metrics[prefix + "p99_ms"] = latency.PercentileMs(99);

        var single = new Latency();
        for (var i = 0; i < 500; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await caller.InvokeAsync<string>("Execute", "noop");
            single.Add(Stopwatch.GetTimestamp() - start);
        }

        metrics[prefix + "c1_p50_ms"] = single.PercentileMs(50);
        metrics[prefix + "c1_p99_ms"] = single.PercentileMs(99);
        await DisposeAllAsync(agents);
    }

    /// <summary>
    /// Workflow runs on SQLite beside their baseline, plain persisted jobs, in the same server: 1,000
    /// runs of a 5-step sequential workflow of no-op command steps at concurrency 64 (steps per second,
    /// and a step's cost as a ratio to a plain job's), and a one-step workflow's latency at
    /// concurrency 1 beside a plain job's.
    /// </summary>
    public static async Task<Dictionary<string, double>> WorkflowsAsync(BenchSettings settings)
    {
        const int Runs = 1000;
        const int StepsPerRun = 5;
        const int Concurrency = 64;
        const int LatencySamples = 300;
        var metrics = new Dictionary<string, double> { ["runs"] = Runs, ["steps_per_run"] = StepsPerRun };
        await using var server = await ServerProcess.StartAsync("sqlite");
        var agents = await StartAgentsAsync(server, 2, maxConcurrentJobs: 64);
        await using var caller = new HubConnectionBuilder().WithMeshHub(new Uri(server.Url, "/bench")).Build();
        await caller.StartAsync();
        for (var i = 0; i < 100; i++)
        {
            await caller.InvokeAsync<string>("Execute", "noop");
            await caller.InvokeAsync<string>("ExecuteWorkflow", "noop-1");
        }

        async Task<double> ThroughputAsync(int count, Func<Task<string>> call)
        {
            var remaining = count;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Decrement(ref remaining) >= 0)
                {
                    var status = await call();
                    if (status is not ("Completed" or "Succeeded"))
                    {
                        throw new InvalidOperationException($"A benchmark job or run ended {status}.");
                    }
                }
            })));
            return count / watch.Elapsed.TotalSeconds;
        }

        async Task<Latency> LatencyAsync(Func<Task<string>> call)
        {
            var latency = new Latency();
            for (var i = 0; i < LatencySamples; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await call();
                latency.Add(Stopwatch.GetTimestamp() - start);
            }

            return latency;
        }

        // Baseline and workflows alternate so the machine's drift hits both alike.
        var jobsPerSecond = new List<double>();
        var stepsPerSecond = new List<double>();
        for (var round = 0; round < 2; round++)
        {
            jobsPerSecond.Add(await ThroughputAsync(Runs * StepsPerRun / 2, () => caller.InvokeAsync<string>("Execute", "noop")));
            stepsPerSecond.Add(StepsPerRun * await ThroughputAsync(Runs / 2, () => caller.InvokeAsync<string>("ExecuteWorkflow", "noop-5")));
        }

        metrics["baseline_jobs_per_second"] = jobsPerSecond.Average();
        metrics["steps_per_second"] = stepsPerSecond.Average();
        metrics["runs_per_second"] = metrics["steps_per_second"] / StepsPerRun;
        metrics["step_cost_ratio_to_job"] = metrics["baseline_jobs_per_second"] / metrics["steps_per_second"];

        var job = await LatencyAsync(() => caller.InvokeAsync<string>("Execute", "noop"));
        var workflow = await LatencyAsync(() => caller.InvokeAsync<string>("ExecuteWorkflow", "noop-1"));
        metrics["baseline_job_c1_p50_ms"] = job.PercentileMs(50);
        metrics["baseline_job_c1_p99_ms"] = job.PercentileMs(99);
        metrics["workflow1_c1_p50_ms"] = workflow.PercentileMs(50);
        metrics["workflow1_c1_p99_ms"] = workflow.PercentileMs(99);
        metrics["workflow1_p99_ratio_to_job"] = metrics["workflow1_c1_p99_ms"] / metrics["baseline_job_c1_p99_ms"];
        await DisposeAllAsync(agents);
        return metrics;
    }

    /// <summary>
    /// N agents connected and jobs in flight; the server is killed (SIGKILL) and restarted on the same
    /// port and database: seconds until every agent is registered again, the peak handshakes per second
    /// and the most in progress at once (against the configured budget), and jobs lost (must be 0).
    /// </summary>
    public static async Task<Dictionary<string, double>> ReconnectStormAsync(BenchSettings settings)
    {
        const int Budget = 128;
        const int JobCount = 1000;
        var n = settings.StormAgents;
        var metrics = new Dictionary<string, double> { ["agents"] = n, ["handshake_budget"] = Budget, ["jobs"] = JobCount };
        var port = ServerProcess.FreePort();
        var data = Path.Combine(Path.GetTempPath(), "orbitmesh-bench-storm-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var executions = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var agents = new List<MeshAgent>(n);
        try
        {
            var first = await ServerProcess.StartAsync("sqlite", port: port, data: data, handshakeBudget: Budget, keepData: true);
            var watch = Stopwatch.StartNew();
            await ForEachAsync(Enumerable.Range(0, n), 256, async i =>
            {
                var agent = new MeshAgentBuilder()
                    .WithServer(first.Url)
                    .WithToken(BenchServer.Token)
                    .WithId($"storm-{i:D5}")
                    .WithLoggerFactory(NullLoggerFactory.Instance)
                    .RegisterHandler("work", async (command, ct) =>
                    {
                        await Task.Delay(command.GetParameter("ms", 1000), ct);
                        executions.AddOrUpdate(command.IdempotencyKey ?? command.JobId!, 1, (_, count) => count + 1);
                        return null;
                    })
                    .Configure(o => o.RetryInitialConnection = true)
                    .Build();
                await agent.ConnectAsync();
                lock (agents)
                {
                    agents.Add(agent);
                }
            });
            await WaitUntilAsync(async () => await first.ConnectedAgentsAsync() >= n, ScenarioLimit);
            metrics["seconds_until_all_registered_at_start"] = watch.Elapsed.TotalSeconds;

            // Jobs in every state at the crash: running (2-4 s each), acknowledged, and still queued.
            var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
            await ForEachAsync(Enumerable.Range(0, JobCount), 32, async i =>
            {
                var body = JsonSerializer.Serialize(new { command = "work", idempotencyKey = $"storm-job-{i:D5}", maxAttempts = 3, parameters = new { ms = 2000 + (i % 3 * 1000) } });
                using var response = await first.Http.PostAsync("/api/jobs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                response.EnsureSuccessStatusCode();
                ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
            });
            await Task.Delay(TimeSpan.FromSeconds(1)); // Let part of the jobs start: the crash must hit jobs mid-run.

            var crash = Stopwatch.StartNew();
            first.Kill();
            await first.DisposeAsync();
            await using var second = await ServerProcess.StartAsync("sqlite", port: port, data: data, handshakeBudget: Budget, keepData: true);
            metrics["seconds_server_restart"] = crash.Elapsed.TotalSeconds;
            var restarted = Stopwatch.StartNew();
            await WaitUntilAsync(async () => await second.ConnectedAgentsAsync() >= n, ScenarioLimit);
            metrics["seconds_until_all_back_after_kill"] = crash.Elapsed.TotalSeconds;
            metrics["seconds_until_all_back_after_restart"] = restarted.Elapsed.TotalSeconds;
            var stats = await second.StatsAsync();
            metrics["handshakes_peak_per_second"] = stats.GetProperty("handshakesPeakPerSecond").GetInt64();
            metrics["handshakes_peak_concurrent"] = stats.GetProperty("handshakesPeakConcurrent").GetInt32();
            metrics["handshakes_admitted"] = stats.GetProperty("handshakesAdmitted").GetInt64();
            metrics["handshakes_rejected_503"] = stats.GetProperty("handshakesRejected").GetInt64();

            // Every job must finish Completed after the storm.
            var unfinished = ids.ToList();
            var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
            var limit = Stopwatch.StartNew();
            while (unfinished.Count > 0 && limit.Elapsed < ScenarioLimit)
            {
                var still = new System.Collections.Concurrent.ConcurrentBag<string>();
                await ForEachAsync(unfinished, 16, async id =>
                {
                    var job = await second.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
                    var status = job.GetProperty("status").GetString()!;
                    lock (statuses)
                    {
                        statuses[id] = status;
                    }

                    if (status is "Pending" or "Assigned" or "Running")
                    {
                        still.Add(id);
                    }
                });
                unfinished = [.. still];
                if (unfinished.Count > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500));
                }
            }

            metrics["seconds_until_all_jobs_final"] = crash.Elapsed.TotalSeconds;
            metrics["jobs_completed"] = statuses.Values.Count(s => s == "Completed");
            metrics["jobs_lost"] = JobCount - metrics["jobs_completed"];
            metrics["jobs_executed_more_than_once"] = executions.Values.Count(c => c > 1);
        }
        finally
        {
            await ForEachAsync(agents, 256, a => a.DisposeAsync().AsTask());
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return metrics;
    }

    private static async Task<List<MeshAgent>> StartAgentsAsync(ServerProcess server, int count, int maxConcurrentJobs)
    {
        var agents = new List<MeshAgent>();
        for (var i = 0; i < count; i++)
        {
            var agent = new MeshAgentBuilder()
                .WithServer(server.Url)
                .WithToken(BenchServer.Token)
                .WithId($"bench-agent-{i}")
                .WithMaxConcurrentJobs(maxConcurrentJobs)
                .WithLoggerFactory(NullLoggerFactory.Instance)
                .RegisterHandler("echo", c => c.Parameters)
                .RegisterHandler("noop", _ => null)
                .RegisterStreamHandler("count", Count)
                .Build();
            await agent.ConnectAsync();
            agents.Add(agent);
        }

        await WaitUntilAsync(async () => await server.ConnectedAgentsAsync() >= count, TimeSpan.FromSeconds(30));
        return agents;
    }

    private static async IAsyncEnumerable<object?> Count(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var n = command.GetParameter<int>("n");
        for (var i = 0; i < n; i++)
        {
            if ((i & 1023) == 0)
            {
                await Task.Yield();
            }

            yield return i;
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<MeshAgent> agents)
    {
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallelism, Func<T, Task> action) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (item, _) => await action(item));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"The scenario did not reach its goal within {limit.TotalSeconds:0} s.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Lets the server's memory settle (allocations of the previous step collected) before it is measured.</summary>
    private static Task Settle() => Task.Delay(TimeSpan.FromSeconds(2));
}

/// <summary>Sizes of the scenarios.</summary>
internal sealed record BenchSettings
{
    public int Agents { get; init; } = 10_000;

    public int Messages { get; init; } = 200_000;

    public int Jobs { get; init; } = 20_000;

    public int StormAgents { get; init; } = 5_000;

    public int Nodes { get; init; } = 1_000;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(8);
}
