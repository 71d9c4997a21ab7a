using System.Diagnostics;
using OrbitMesh.Samples.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.Basic;

/// <summary>BasicServer, BasicAgent and WorkflowDemo, run as their READMEs say.</summary>
public sealed class BasicSamplesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    [Fact]
    public async Task BasicAgentOnBasicServer_RunsJobsAndTheWorkflowDemo()
    {
        var watch = Stopwatch.StartNew();
        var (_, url) = await _processes.StartServerAsync("BasicServer");
        _processes.Start("BasicAgent", ["--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Id", "basic-1"]);
        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, ["basic-1"]);

        var agent = await mesh.GetAgentAsync("basic-1");
        Assert.Equal(["add", "greet"], agent!.Commands.Order(StringComparer.Ordinal));
        Assert.Contains("greeter", agent.Capabilities);
        var greeting = await mesh.ExecuteAsync(new JobRequest { Command = "greet", Parameters = OrbitMeshJson.ToElement(new { name = "Lin" }), Target = AgentTarget.WithCapability("greeter") });
        Assert.Equal(JobStatus.Completed, greeting.Status);
        Assert.Equal($"Hello, Lin, from {Environment.MachineName}!", greeting.Result!.Value.GetString());
        Assert.Equal(0.75, await mesh.InvokeAsync<double>("basic-1", "add", new { a = 0.5, b = 0.25 }));

        var demo = await _processes.RunAsync("WorkflowDemo", [url.ToString(), "Grace"], TimeSpan.FromSeconds(30), new Dictionary<string, string?> { ["ORBITMESH_API_KEY"] = _processes.ApiKey });

        Assert.True(demo.ExitCode == 0, demo.Describe());
        Assert.Contains(demo.StdoutLines, l => l.StartsWith("Run ", StringComparison.Ordinal) && l.EndsWith("of hello-workflow: Succeeded", StringComparison.Ordinal));
        Assert.Contains(demo.StdoutLines, l => l.Contains("greet", StringComparison.Ordinal) && l.Contains("Hello, Grace, from", StringComparison.Ordinal));
        Assert.Contains(demo.StdoutLines, l => l.Contains("add", StringComparison.Ordinal) && l.Contains("Succeeded", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 5", StringComparison.Ordinal));
        Assert.Contains(demo.StdoutLines, l => l.Contains("summary", StringComparison.Ordinal) && l.Contains("Hello, Grace (2 + 3 = 5), from", StringComparison.Ordinal));
        var runs = await mesh.ListWorkflowRunsAsync(new OrbitMesh.Workflows.WorkflowRunQuery { Workflow = "hello-workflow" });
        Assert.Single(runs);
        _processes.Report("BasicServer + BasicAgent + WorkflowDemo", watch);
    }
}
