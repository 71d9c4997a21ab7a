using System.Diagnostics;
using System.Text.Json;
using OrbitMesh.Samples.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Samples.Tests.DataCollector;

/// <summary>
/// DataCollector over four agents: two collect fully, one has no log file (reported as failed, its
/// metrics kept), one was killed before the collection (reported as offline); none of it is fatal.
/// </summary>
public sealed class DataCollectorTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly SampleProcesses _processes = new(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _processes.DisposeAsync();

    [Fact]
    public async Task Collect_AggregatesEveryAgent_ReportsTheFailedAndTheOffline()
    {
        var watch = Stopwatch.StartNew();
        var logs = Directory.CreateDirectory(Path.Combine(_processes.Directory, "logs")).FullName;
        string[] node1 = ["INFO start", "ERROR disk full", "INFO retry", "WARN slow", "ERROR disk full again", "INFO ok", "INFO ok", "ERROR timeout", "INFO ok", "INFO done"];
        File.WriteAllLines(Path.Combine(logs, "node-1.log"), node1);
        File.WriteAllLines(Path.Combine(logs, "node-2.log"), ["INFO start", "ERROR bad request", "INFO ok", "INFO ok", "INFO done"]);
        File.WriteAllLines(Path.Combine(logs, "node-4.log"), ["ERROR must not be counted", "ERROR nor this"]);
        var (_, url) = await _processes.StartServerAsync("DataCollector", verb: "server");
        _processes.Start("DataCollector", ["agents", "--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Ids", "node-1,node-2,node-3", "--Logs", logs]);
        var doomed = _processes.Start("DataCollector", ["agents", "--Server", url.ToString(), "--AgentToken", _processes.AgentToken, "--Ids", "node-4", "--Logs", logs]);
        using var mesh = _processes.Client(url);
        await SampleProcesses.WaitForAgentsAsync(mesh, ["node-1", "node-2", "node-3", "node-4"]);
        await doomed.KillAsync();
        await Wait.UntilAsync(async () => (await mesh.GetAgentAsync("node-4"))!.Status != AgentStatus.Ready, "the server sees node-4 gone");

        var collect = await _processes.RunAsync("DataCollector", ["collect", "--Server", url.ToString(), "--ApiKey", _processes.ApiKey, "--Json", "true"], TimeSpan.FromSeconds(30));

        Assert.True(collect.ExitCode == 0, collect.Describe());
        using var document = JsonDocument.Parse(collect.Stdout);
        var aggregate = document.RootElement;
        Assert.Equal(4, aggregate.GetProperty("agents").GetInt32());
        Assert.Equal(2, aggregate.GetProperty("collected").GetInt32());
        Assert.Equal(4, aggregate.GetProperty("matchingLogLines").GetInt32());
        var reports = aggregate.GetProperty("reports").EnumerateArray().ToDictionary(r => r.GetProperty("agentId").GetString()!);
        Assert.Equal(["node-1", "node-2", "node-3", "node-4"], reports.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["ok", "ok", "failed", "offline"], new[] { "node-1", "node-2", "node-3", "node-4" }.Select(id => reports[id].GetProperty("status").GetString()));

        var one = reports["node-1"];
        Assert.Equal(Environment.ProcessorCount, one.GetProperty("metrics").GetProperty("processorCount").GetInt32());
        Assert.Equal(Environment.MachineName, one.GetProperty("metrics").GetProperty("machine").GetString());
        Assert.True(one.GetProperty("metrics").GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.Equal(10, one.GetProperty("logs").GetProperty("lines").GetInt32());
        Assert.Equal(node1.Where(l => l.StartsWith("ERROR", StringComparison.Ordinal)), one.GetProperty("logs").GetProperty("tail").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(
            aggregate.GetProperty("totalWorkingSetBytes").GetInt64(),
            new[] { "node-1", "node-2" }.Sum(id => reports[id].GetProperty("metrics").GetProperty("workingSetBytes").GetInt64()));

        var three = reports["node-3"];
        Assert.Contains("no log file at", three.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(Environment.ProcessorCount, three.GetProperty("metrics").GetProperty("processorCount").GetInt32());
        Assert.False(three.TryGetProperty("logs", out var logsOfThree) && logsOfThree.ValueKind != JsonValueKind.Null, "node-3 has no log result");
        Assert.StartsWith("not connected", reports["node-4"].GetProperty("error").GetString(), StringComparison.Ordinal);

        var table = await _processes.RunAsync("DataCollector", ["collect", "--Server", url.ToString(), "--ApiKey", _processes.ApiKey], TimeSpan.FromSeconds(30));
        Assert.True(table.ExitCode == 0, table.Describe());
        Assert.StartsWith("collected 2 of 4 agents: 4 matching log lines, ", table.StdoutLines[0], StringComparison.Ordinal);
        Assert.Contains(table.StdoutLines, l => l.Contains("node-4", StringComparison.Ordinal) && l.Contains("offline", StringComparison.Ordinal));
        _processes.Report("DataCollector: 4 agents, one failing, one offline", watch);
    }
}
