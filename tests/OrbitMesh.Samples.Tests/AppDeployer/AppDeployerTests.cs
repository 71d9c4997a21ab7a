using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using OrbitMesh.Samples.Tests.Infrastructure;
using OrbitMesh.Workflows;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.AppDeployer;

/// <summary>
/// AppDeployer with 20 web nodes (two agent processes of ten): version 1.0.0 rolls out to all, then
/// 2.0.0 meets a node whose service crashed in the fourth batch and is rolled back everywhere.
/// </summary>
public sealed class AppDeployerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Nodes = 20;
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    private static string Node(int i) => string.Create(CultureInfo.InvariantCulture, $"web-{i:00}");

    [Fact]
    public async Task RollingDeploy_OneNodeFailsItsHealthCheck_StopsAndRollsBackTheBatchesDone()
    {
        var packages = Directory.CreateDirectory(Path.Combine(_processes.Directory, "packages")).FullName;
        var nodes = Path.Combine(_processes.Directory, "nodes");
        WritePackage(packages, "1.0.0");
        WritePackage(packages, "2.0.0");
        var (_, url) = await _processes.StartServerAsync("AppDeployer", ["--Packages", packages], verb: "server");
        var ids = Enumerable.Range(1, Nodes).Select(Node).ToList();
        foreach (var half in ids.Chunk(Nodes / 2))
        {
            _processes.Start("AppDeployer", ["agents", "--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Ids", string.Join(',', half), "--Root", nodes]);
        }

        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, ids);

        // 1.0.0 everywhere: five batches of four, all verified.
        var first = await DeployAsync(url, "1.0.0");
        Assert.True(first.ExitCode == 0, first.Describe());
        Assert.Equal(5, first.StdoutLines.Count(l => l.StartsWith("batch ", StringComparison.Ordinal)));
        Assert.All(ids, id => AssertNode(nodes, id, current: "1.0.0", service: "running"));

        // web-13 (batch 4 of 5) crashes; 2.0.0 must stop there and leave every node on 1.0.0.
        File.WriteAllText(Path.Combine(nodes, Node(13), "service"), "crashed");
        var watch = Stopwatch.StartNew();
        var second = await DeployAsync(url, "2.0.0");
        _processes.Report($"rollout of {Nodes} nodes in 20 % batches, failing in batch 4, with rollback", watch);

        Assert.True(second.ExitCode == 1, second.Describe());
        Assert.Equal(4, second.StdoutLines.Count(l => l.StartsWith("batch ", StringComparison.Ordinal)));
        Assert.Contains(second.StdoutLines, l => l.StartsWith("failed on web-13: ", StringComparison.Ordinal) && l.Contains("crashed", StringComparison.Ordinal));
        Assert.Contains("not reached: web-17, web-18, web-19, web-20", second.StdoutLines);
        foreach (var id in ids.Where(id => id != Node(13)))
        {
            AssertNode(nodes, id, current: "1.0.0", service: "running");
            Assert.False(Directory.Exists(Path.Combine(nodes, id, "releases", "2.0.0")), $"{id} still has 2.0.0 installed");
            Assert.False(File.Exists(Path.Combine(nodes, id, "packages", "demo-2.0.0.zip")), $"{id} still has the 2.0.0 package");
        }

        AssertNode(nodes, Node(13), current: "1.0.0", service: "crashed");

        // The server's record: 20 runs of 1.0.0 succeeded; of 2.0.0, web-13's failed, 15 were rolled back, 4 never started.
        var runs = await mesh.ListWorkflowRunsAsync(new WorkflowRunQuery { Workflow = "deploy-app", Limit = 1000 });
        Assert.Equal(20, runs.Count(r => r.Status == WorkflowRunStatus.Succeeded));
        Assert.Equal(15, runs.Count(r => r.Status == WorkflowRunStatus.RolledBack));
        Assert.Equal(1, runs.Count(r => r.Status == WorkflowRunStatus.Failed));
        Assert.Equal(36, runs.Count);
        var rolledBack = await mesh.GetWorkflowRunAsync(runs.First(r => r.Status == WorkflowRunStatus.RolledBack).RunId);
        Assert.Equal(["health-check", "stop", "download", "install", "start", "verify"], rolledBack!.Steps.Select(s => s.StepId));
        Assert.Equal(
            [WorkflowStepStatus.Succeeded, WorkflowStepStatus.Compensated, WorkflowStepStatus.Compensated, WorkflowStepStatus.Compensated, WorkflowStepStatus.Compensated, WorkflowStepStatus.Succeeded],
            rolledBack.Steps.Select(s => s.Status));
    }

    private Task<CliProcess> DeployAsync(Uri server, string version) =>
        _processes.RunAsync("AppDeployer", ["deploy", "--Server", server.ToString(), "--ApiKey", _processes.ApiKey, "--Version", version], TimeSpan.FromSeconds(40));

    private static void WritePackage(string directory, string version)
    {
        var content = Directory.CreateTempSubdirectory("orbitmesh-package-").FullName;
        File.WriteAllText(Path.Combine(content, "VERSION"), version);
        File.WriteAllText(Path.Combine(content, "index.html"), $"<h1>demo {version}</h1>");
        ZipFile.CreateFromDirectory(content, Path.Combine(directory, $"demo-{version}.zip"));
        Directory.Delete(content, recursive: true);
    }

    private static void AssertNode(string nodes, string id, string current, string service)
    {
        Assert.Equal(current, File.ReadAllText(Path.Combine(nodes, id, "current")).Trim());
        Assert.Equal(service, File.ReadAllText(Path.Combine(nodes, id, "service")).Trim());
        Assert.Equal(current, File.ReadAllText(Path.Combine(nodes, id, "releases", current, "VERSION")).Trim());
    }
}
