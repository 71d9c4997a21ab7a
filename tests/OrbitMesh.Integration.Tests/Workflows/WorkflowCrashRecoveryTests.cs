using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using OrbitMesh.Workflows;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Workflows;

/// <summary>
/// Durable workflow runs: 100 runs of a 5-step workflow whose steps append to effect files, the server
/// killed with SIGKILL twice mid-run: every run completes and no step's effect happens twice.
/// </summary>
public sealed class WorkflowCrashRecoveryTests(ITestOutputHelper output)
{
    private const int RunCount = 100;
    private const int StepCount = 5;
    private static readonly string[] AgentIds = ["wf-effects-1", "wf-effects-2", "wf-effects-3"];
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    private static string EffectAgentDll { get; } = Path.Combine(AppContext.BaseDirectory, "orbitmesh-effect-agent.dll");

    [Fact]
    public async Task ServerKilledTwiceMidRun_EveryRunCompletes_AndNoStepsEffectHappensTwice()
    {
        await using var mesh = new MeshProcesses(output);
        string[] serverArguments = ["--heartbeat-interval", "0.5"];
        var server = await mesh.StartServerAsync(extraArguments: serverArguments);
        using var api = new MeshApi(server.Url);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);

        var effectFiles = AgentIds.Select(id => Path.Combine(mesh.DataDirectory, $"{id}.effects")).ToArray();
        var agents = AgentIds.Select((id, i) => CliProcess.Start($"agent-{id}", EffectAgentDll,
            ["--server", server.UrlText, "--token", mesh.Token, "--id", id, "--effects", effectFiles[i], "--max-concurrent", "4"], output)).ToList();
        try
        {
            await api.WaitForReadyAsync(AgentIds, "the 3 effect agents are Ready", MeshProcesses.StartTimeout);
            var steps = Enumerable.Range(1, StepCount).Select(n => new
            {
                id = $"s{n}",
                command = "effect",
                dependsOn = n == 1 ? Array.Empty<string>() : [$"s{n - 1}"],
                timeout = "00:02:00",
            });
            using (var definition = new StringContent(JsonSerializer.Serialize(new { name = "effects-5", steps }, OrbitMeshJson.Options), Encoding.UTF8, "application/json"))
            {
                using var registered = await http.PostAsync("api/workflows", definition);
                Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            }

            // Start every run before the first crash: starting a run is not idempotent, so the test does not retry it.
            var runIds = new List<string>();
            for (var i = 0; i < RunCount; i++)
            {
                using var started = await http.PostAsJsonAsync("api/workflows/effects-5/runs", new { parameters = new { n = i } }, OrbitMeshJson.Options);
                Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
                runIds.Add((await started.Content.ReadFromJsonAsync<WorkflowRun>(OrbitMeshJson.Options))!.RunId);
            }

            const int total = RunCount * StepCount;
            foreach (var killAt in new[] { total / 4, total * 3 / 5 })
            {
                await Wait.UntilAsync(() => CountEffects(effectFiles) >= killAt, $"{killAt} side effects happened", RunTimeout);
                var done = CountEffects(effectFiles);
                await server.Process.KillAsync();
                Assert.Equal(128 + 9, server.Process.ExitCode);
                output.WriteLine($"[test] killed the server with SIGKILL after {done} of {total} side effects");
                Assert.True(done < total, "The runs were over before the server was killed; the test would prove nothing.");
                server = await mesh.StartServerAsync(server.Port, serverArguments);
                var resumed = await server.Process.WaitForStderrAsync(l => l.Contains("Workflow engine started", StringComparison.Ordinal), "the restarted server resumes its runs");
                output.WriteLine("[test] " + resumed.Trim());
            }

            await Wait.UntilAsync(
                async () => await CountRunsAsync(http, "succeeded") == RunCount,
                $"all {RunCount} runs succeeded",
                RunTimeout,
                TimeSpan.FromMilliseconds(250));

            // Each step of each run had its effect exactly once, under its attempt's key.
            var keys = effectFiles.Where(File.Exists).SelectMany(File.ReadAllLines).Select(line => line.Split(' ')[0]).ToList();
            var duplicates = keys.GroupBy(k => k, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            Assert.True(duplicates.Count == 0, "Effects that happened more than once: " + string.Join(", ", duplicates));
            var byStep = keys.Select(k => k.Split(':')).GroupBy(parts => $"{parts[0]}:{parts[1]}", StringComparer.Ordinal).ToList();
            Assert.Equal(total, byStep.Count);
            Assert.All(byStep, g => Assert.Single(g));
            Assert.Equal(runIds.Order(StringComparer.Ordinal), keys.Select(k => k.Split(':')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

            var sample = await http.GetFromJsonAsync<WorkflowRun>($"api/workflow-runs/{runIds[0]}", OrbitMeshJson.Options);
            Assert.All(sample!.Steps, s => Assert.Equal(WorkflowStepStatus.Succeeded, s.Status));
            Assert.All(agents, a => Assert.False(a.HasExited, $"{a.Name} exited.\n{a.Describe()}"));
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }
    }

    private static async Task<int> CountRunsAsync(HttpClient http, string status)
    {
        try
        {
            var runs = await http.GetFromJsonAsync<List<WorkflowRunSummary>>($"api/workflow-runs?workflow=effects-5&status={status}&limit=1000", OrbitMeshJson.Options);
            return runs?.Count ?? 0;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return -1;
        }
    }

    private static int CountEffects(IEnumerable<string> files)
    {
        var total = 0;
        foreach (var file in files.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is not null)
            {
                total++;
            }
        }

        return total;
    }
}
