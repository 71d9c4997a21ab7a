using System.Diagnostics;
using OrbitMesh.Client;
using OrbitMesh.Samples.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.GpuClusterManager;

/// <summary>
/// GpuClusterManager on BasicServer with three simulated GPU nodes (base loads 80, 20 and 50 %): an
/// inference goes to the least-utilized node and streams its tokens while it runs; the node's twin
/// shows it busier, so the next inference goes to the next least-utilized one.
/// </summary>
public sealed class GpuClusterManagerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    [Fact]
    public async Task Inference_GoesToTheLeastUtilizedGpu_AndStreamsItsTokens()
    {
        var watch = Stopwatch.StartNew();
        var (_, url) = await _processes.StartServerAsync("BasicServer");
        foreach (var (id, load, tokenMs) in new[] { ("gpu-1", 80, 20), ("gpu-2", 20, 150), ("gpu-3", 50, 20) })
        {
            _processes.Start("GpuClusterManager", ["nodes", "--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Ids", id, "--BaseLoad", $"{load}", "--TokenMs", $"{tokenMs}"]);
        }

        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, ["gpu-1", "gpu-2", "gpu-3"]);
        foreach (var (id, load) in new[] { ("gpu-1", 80.0), ("gpu-2", 20.0), ("gpu-3", 50.0) })
        {
            await WaitForUtilizationAsync(mesh, id, load);
        }

        string[] client = ["--Server", url.ToString(), "--ApiKey", _processes.ApiKey];
        var status = await _processes.RunAsync("GpuClusterManager", ["status", .. client], TimeSpan.FromSeconds(30));
        Assert.True(status.ExitCode == 0, status.Describe());
        Assert.Contains(status.StdoutLines, l => l.StartsWith("gpu-2", StringComparison.Ordinal) && l.Contains(" 20 %", StringComparison.Ordinal) && l.EndsWith("simulated", StringComparison.Ordinal));

        // A long inference: gpu-2 (20 %) takes it, and its tokens arrive while it is still generating.
        var first = _processes.Start("GpuClusterManager", ["infer", .. client, "--Prompt", "one two three", "--MaxTokens", "30"]);
        await first.WaitForStdoutAsync(l => l.StartsWith("node: gpu-2 (utilization 20 %", StringComparison.Ordinal), "the first inference picks gpu-2");
        await first.WaitForStdoutAsync(l => l == "token: three", "the first token arrives");
        Assert.False(first.HasExited, "the first token arrived only when the inference was over: it was not streamed");

        // gpu-2's twin now says 55 %: the next inference goes to gpu-3 (50 %).
        await WaitForUtilizationAsync(mesh, "gpu-2", 55);
        var second = await _processes.RunAsync("GpuClusterManager", ["infer", .. client, "--Prompt", "alpha beta gamma delta", "--MaxTokens", "6"], TimeSpan.FromSeconds(30));
        Assert.True(second.ExitCode == 0, second.Describe());
        Assert.StartsWith("node: gpu-3 (utilization 50 %", second.StdoutLines[0], StringComparison.Ordinal);
        Assert.Equal(["delta", "gamma", "beta", "alpha", "delta", "gamma"], Tokens(second));
        Assert.StartsWith("done: 6 tokens in ", second.StdoutLines[^1], StringComparison.Ordinal);

        Assert.Equal(0, await first.WaitForExitAsync("the first inference to finish", TimeSpan.FromSeconds(30)));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => new[] { "three", "two", "one" }[i % 3]), Tokens(first));
        var job = (await mesh.ListJobsAsync(new JobQuery { Command = "run-inference" })).Select(j => j.AgentId).Order(StringComparer.Ordinal);
        Assert.Equal(["gpu-2", "gpu-3"], job);
        await WaitForUtilizationAsync(mesh, "gpu-2", 20);
        _processes.Report("GpuClusterManager: two inferences placed by twin utilization", watch);
    }

    private static List<string> Tokens(CliProcess process) =>
        [.. process.StdoutLines.Where(l => l.StartsWith("token: ", StringComparison.Ordinal)).Select(l => l["token: ".Length..])];

    private static Task WaitForUtilizationAsync(MeshHttpClient mesh, string agent, double utilization) =>
        Wait.UntilAsync(
            async () => (await mesh.GetTwinAsync(agent))?.Reported is { } reported
                && reported.TryGetProperty("gpu", out var gpu)
                && gpu.GetProperty("utilization").GetDouble() == utilization,
            $"{agent}'s twin reports {utilization} % utilization",
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));
}
