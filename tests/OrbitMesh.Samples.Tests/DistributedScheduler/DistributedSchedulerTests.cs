using System.Diagnostics;
using OrbitMesh.Client;
using OrbitMesh.Samples.Tests.Infrastructure;
using OrbitMesh.Workflows;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.DistributedScheduler;

/// <summary>
/// DistributedScheduler on BasicServer: a cron trigger firing every second, whose runs go to the worker
/// that is less loaded at the time; when the load moves to the other worker, so do the runs.
/// </summary>
public sealed class DistributedSchedulerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    [Fact]
    public async Task CronTrigger_RunsOnTheLeastLoadedWorker_AndFollowsTheLoad()
    {
        var watch = Stopwatch.StartNew();
        var (_, url) = await _processes.StartServerAsync("BasicServer");
        _processes.Start("DistributedScheduler", ["workers", "--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Ids", "worker-1,worker-2", "--Slots", "4"]);
        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, ["worker-1", "worker-2"]);

        // worker-1 carries three long tasks (3 of 4 slots): the scheduled runs must go to worker-2.
        var load1 = await LoadAsync(mesh, "worker-1");
        var since = DateTimeOffset.UtcNow;
        var schedule = await _processes.RunAsync("DistributedScheduler", ["schedule", "--Server", url.ToString(), "--ApiKey", _processes.ApiKey, "--Name", "every-second", "--Cron", "* * * * * *", "--Report", "hourly"], TimeSpan.FromSeconds(30));
        Assert.True(schedule.ExitCode == 0, schedule.Describe());
        Assert.Contains(schedule.StdoutLines, l => l.StartsWith("scheduled build-report as every-second on '* * * * * *' (UTC); next run at ", StringComparison.Ordinal));
        var first = await RunsSinceAsync(mesh, since, count: 3);
        Assert.All(first, run => Assert.Equal("worker-2", Agent(run)));
        Assert.All(first, run => Assert.Equal("hourly", run.Steps.Single().Output!.Value.GetProperty("report").GetString()));
        Assert.All(first, run => Assert.Equal(run.Parameters!.Value.GetProperty("trigger").GetProperty("scheduledAt").GetString(), run.Steps.Single().Output!.Value.GetProperty("scheduledAt").GetString()));

        // The load moves to worker-2: the next runs go to worker-1.
        foreach (var job in load1)
        {
            await mesh.CancelJobAsync(job);
        }

        await LoadAsync(mesh, "worker-2");
        await Wait.UntilAsync(async () => (await mesh.GetAgentAsync("worker-1"))!.JobsInFlight == 0, "worker-1's long tasks are cancelled");
        var second = await RunsSinceAsync(mesh, DateTimeOffset.UtcNow, count: 3);
        Assert.All(second, run => Assert.Equal("worker-1", Agent(run)));

        var status = await _processes.RunAsync("DistributedScheduler", ["status", "--Server", url.ToString(), "--ApiKey", _processes.ApiKey, "--Name", "every-second"], TimeSpan.FromSeconds(30));
        Assert.True(status.ExitCode == 0, status.Describe());
        Assert.Matches(@"^every-second: \d+ runs, next at ", status.StdoutLines[0]);
        Assert.Contains(status.StdoutLines, l => l.Contains("Succeeded  on worker-1", StringComparison.Ordinal));
        Assert.Contains(status.StdoutLines, l => l.Contains("Succeeded  on worker-2", StringComparison.Ordinal));
        _processes.Report("DistributedScheduler: 6 scheduled runs following the load", watch);
    }

    private static string? Agent(WorkflowRun run) => run.Steps.Single().Output!.Value.GetProperty("agent").GetString();

    /// <summary>Three long tasks on one worker, waited on until the server counts them in flight there.</summary>
    private static async Task<List<string>> LoadAsync(MeshHttpClient mesh, string worker)
    {
        var jobs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var job = await mesh.SubmitAsync(new JobRequest
            {
                Command = "task.sleep",
                Parameters = OrbitMeshJson.ToElement(new { ms = 120_000 }),
                Target = AgentTarget.ForAgent(worker),
                Pattern = ExecutionPattern.LongRunning,
            });
            jobs.Add(job.Id);
        }

        await Wait.UntilAsync(async () => (await mesh.GetAgentAsync(worker))!.JobsInFlight == 3, $"{worker} runs three long tasks");
        return jobs;
    }

    /// <summary>The first <paramref name="count"/> finished runs of build-report started after <paramref name="since"/>.</summary>
    private static async Task<List<WorkflowRun>> RunsSinceAsync(MeshHttpClient mesh, DateTimeOffset since, int count)
    {
        List<WorkflowRun> runs = [];
        await Wait.UntilAsync(
            async () =>
            {
                var summaries = await mesh.ListWorkflowRunsAsync(new WorkflowRunQuery { Workflow = "build-report", Limit = 1000 });
                runs = [];
                foreach (var summary in summaries.Where(s => s.StartedAt > since && s.Status != WorkflowRunStatus.Running))
                {
                    runs.Add((await mesh.GetWorkflowRunAsync(summary.RunId))!);
                }

                return runs.Count >= count;
            },
            $"{count} scheduled runs finish",
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(200));
        Assert.All(runs, run => Assert.Equal(WorkflowRunStatus.Succeeded, run.Status));
        return runs;
    }
}
