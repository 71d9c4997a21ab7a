using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Api;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Recovery;

/// <summary>
/// The promise of durable state: kill the server (SIGKILL) at any moment, start it again on the same
/// data, and no job is lost or run twice in effect.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int JobCount = 1_000;
    private const int Submitters = 8;
    private const int FirstPart = 600;
    private static readonly string[] AgentIds = ["effects-1", "effects-2", "effects-3"];
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>The effect agent next to the tests (copied there by the project reference).</summary>
    private static string EffectAgentDll { get; } = Path.Combine(AppContext.BaseDirectory, "orbitmesh-effect-agent.dll");

    [Fact]
    public async Task ServerKilledTwiceMidRun_EveryJobCompletes_AndEachSideEffectHappensOnce()
    {
        await using var mesh = new MeshProcesses(output);
        string[] serverArguments = ["--heartbeat-interval", "0.5"];
        var server = await mesh.StartServerAsync(extraArguments: serverArguments);
        var port = server.Port;
        using var api = new MeshApi(server.Url);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);

        var effectFiles = AgentIds.ToDictionary(id => id, id => Path.Combine(mesh.DataDirectory, $"{id}.effects"));
        var agents = new List<CliProcess>();
        foreach (var id in AgentIds)
        {
            var agent = CliProcess.Start($"agent-{id}", EffectAgentDll,
                ["--server", server.UrlText, "--token", mesh.Token, "--id", id, "--effects", effectFiles[id], "--max-concurrent", "4"], output);
            agents.Add(agent);
        }

        try
        {
            await api.WaitForReadyAsync(AgentIds, "the 3 effect agents are Ready", MeshProcesses.StartTimeout);

            // Submit every job with its own idempotency key, from several callers at once, retrying each
            // submission (same key) through the crashes until the server answers. The first part goes in
            // before the first crash; the rest is submitted while the server is being killed.
            var jobIds = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var conflicts = new ConcurrentBag<string>();
            using var stopSubmitting = new CancellationTokenSource(RunTimeout);
            Task SubmitAsync(int from, int to)
            {
                var next = from - 1;
                return Task.WhenAll(Enumerable.Range(0, Submitters).Select(_ => Task.Run(async () =>
                {
                    int n;
                    while ((n = Interlocked.Increment(ref next)) < to)
                    {
                        var key = $"key-{n:D4}";
                        var id = await SubmitUntilAcceptedAsync(http, key, stopSubmitting.Token);
                        if (!jobIds.TryAdd(key, id) && jobIds[key] != id)
                        {
                            conflicts.Add($"{key}: {jobIds[key]} and {id}");
                        }
                    }
                })));
            }

            await Wait.ForAsync(SubmitAsync(0, FirstPart), $"the first {FirstPart} jobs were submitted", RunTimeout);
            var submitting = Task.CompletedTask;

            // Crash twice while jobs are pending, running and finishing.
            foreach (var killAt in new[] { 250, 600 })
            {
                await Wait.UntilAsync(() => CountEffects(effectFiles) >= killAt, $"{killAt} side effects happened", RunTimeout);
                if (submitting.IsCompleted && jobIds.Count < JobCount)
                {
                    submitting = SubmitAsync(FirstPart, JobCount);
                }

                var done = CountEffects(effectFiles);
                await server.Process.KillAsync();
                Assert.Equal(128 + 9, server.Process.ExitCode);
                output.WriteLine($"[test] killed the server with SIGKILL after {done} side effects ({jobIds.Count} jobs accepted so far)");
                Assert.True(done < JobCount, "The run was over before the server was killed; the test would prove nothing.");

                server = await mesh.StartServerAsync(port, serverArguments);
                var recovered = await server.Process.WaitForStderrAsync(l => l.Contains("Recovered unfinished jobs", StringComparison.Ordinal), "the restarted server logs its recovery");
                output.WriteLine("[test] " + recovered.Trim());
            }

            await Wait.ForAsync(submitting, "every job was submitted", RunTimeout);
            Assert.Empty(conflicts);
            Assert.Equal(JobCount, jobIds.Count);
            Assert.Equal(JobCount, jobIds.Values.Distinct(StringComparer.Ordinal).Count());

            // Every job completes, as the caller sees it.
            await Wait.UntilAsync(
                async () => await CountJobsAsync(http, "completed") == JobCount,
                $"all {JobCount} jobs are Completed",
                RunTimeout,
                TimeSpan.FromMilliseconds(200));
            Assert.Equal(0, await CountJobsAsync(http, "failed"));
            Assert.Equal(0, await CountJobsAsync(http, "deadlettered"));

            // Each handler's side effect happened once per key, never twice, never lost.
            var effects = effectFiles.SelectMany(f => File.ReadAllLines(f.Value).Select(line => (Agent: f.Key, Fields: line.Split(' ')))).ToList();
            var duplicates = effects.GroupBy(e => e.Fields[0], StringComparer.Ordinal).Where(g => g.Count() > 1)
                .Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => $"{e.Agent} job {e.Fields[1]} attempt {e.Fields[2]}"))}").ToList();
            Assert.True(duplicates.Count == 0, $"Side effects that happened more than once:\n{string.Join('\n', duplicates)}");
            Assert.Equal(jobIds.Keys.Order(StringComparer.Ordinal), effects.Select(e => e.Fields[0]).Order(StringComparer.Ordinal));

            // The result each caller sees is the one of the run that had the effect.
            var effectByKey = effects.ToDictionary(e => e.Fields[0], StringComparer.Ordinal);
            foreach (var (key, id) in jobIds)
            {
                var job = await http.GetFromJsonAsync<JobView>($"/api/jobs/{id}", OrbitMeshJson.Options);
                Assert.NotNull(job);
                Assert.Equal(JobStatus.Completed, job.Status);
                Assert.Equal(key, job.Result!.Value.GetProperty("key").GetString());
                Assert.Equal(effectByKey[key].Agent, job.Result.Value.GetProperty("agent").GetString());
                Assert.Equal(effectByKey[key].Fields[1], id);
            }

            Assert.All(agents, a => Assert.False(a.HasExited, $"{a.Name} exited.\n{a.Describe()}"));
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }
    }

    /// <summary>POST /api/jobs until the server accepts it (202) or returns the job it already has for the key (200).</summary>
    private static async Task<string> SubmitUntilAcceptedAsync(HttpClient http, string key, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { command = "effect", idempotencyKey = key, maxAttempts = 5 });
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync("/api/jobs", content, cancellationToken);
                if (response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK)
                {
                    var accepted = await response.Content.ReadFromJsonAsync<JobAccepted>(OrbitMeshJson.Options, cancellationToken);
                    return accepted!.Id;
                }

                if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
                {
                    throw new InvalidOperationException($"Submitting {key} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The server is down or restarting: submit again with the same key.
            }

            // Back-off before submitting again, not synchronisation.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, 20 * attempt)), cancellationToken);
        }
    }

    private static async Task<int> CountJobsAsync(HttpClient http, string status)
    {
        try
        {
            var jobs = await http.GetFromJsonAsync<List<JobView>>($"/api/jobs?command=effect&status={status}&limit=1000", OrbitMeshJson.Options);
            return jobs?.Count ?? 0;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return -1;
        }
    }

    private static int CountEffects(Dictionary<string, string> files)
    {
        var total = 0;
        foreach (var file in files.Values)
        {
            if (File.Exists(file))
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                while (reader.ReadLine() is not null)
                {
                    total++;
                }
            }
        }

        return total;
    }
}
