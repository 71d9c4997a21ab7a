using System.Diagnostics;
using OrbitMesh.Agent;

namespace DataCollector;

/// <summary>
/// Collector agents (capability <c>collector</c>): <c>metrics.gather</c> reads this machine's and this
/// process's figures; <c>logs.gather</c> reads the tail of the agent's log file, DIR/ID.log, and counts
/// the lines that contain <c>match</c>. A missing log file fails that agent's part, nothing else.
/// </summary>
internal static class CollectorAgents
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var logs = Path.GetFullPath(settings["Logs"] ?? "logs");
        var ids = (settings["Ids"] ?? "node-1,node-2,node-3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var agents = ids.Select(id => new MeshAgentBuilder()
            .WithServer(server).WithToken(settings["AgentToken"] ?? "dev-agent-token").WithId(id).WithCapabilities("collector")
            .Configure(o => o.RetryInitialConnection = true)
            .RegisterHandler("metrics.gather", _ => Metrics())
            .RegisterHandler("logs.gather", (command, ct) => TailAsync(Path.Combine(logs, id + ".log"), command, ct))
            .Build()).ToList();
        try
        {
            await Task.WhenAll(agents.Select(a => a.ConnectAsync(cancellationToken)));
            Console.WriteLine($"{agents.Count} collectors connected to {server} (logs in {logs})");
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }

    private static object Metrics()
    {
        using var process = Process.GetCurrentProcess();
        var memory = GC.GetGCMemoryInfo();
        return new
        {
            machine = Environment.MachineName,
            processorCount = Environment.ProcessorCount,
            loadAverage = File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : (double?)null,
            availableMemoryBytes = memory.TotalAvailableMemoryBytes,
            workingSetBytes = process.WorkingSet64,
            uptimeSeconds = Environment.TickCount64 / 1000,
            collectedAt = DateTimeOffset.UtcNow,
        };
    }

    private static async Task<object?> TailAsync(string path, MeshCommand command, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new MeshHandlerException("no_log", $"no log file at {path}");
        }

        var match = command.GetParameter("match", "ERROR");
        var all = await File.ReadAllLinesAsync(path, cancellationToken);
        var matching = all.Where(l => l.Contains(match, StringComparison.Ordinal)).ToList();
        return new { file = path, lines = all.Length, matching = matching.Count, tail = matching.TakeLast(command.GetParameter("lines", 20)).ToList() };
    }
}
