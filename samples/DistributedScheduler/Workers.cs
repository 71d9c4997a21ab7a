using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using OrbitMesh.Agent;

namespace DistributedScheduler;

/// <summary>
/// Worker agents with the capability <c>worker</c>: <c>report.build</c> is the scheduled task (a short
/// piece of work that says where and when it ran); <c>task.sleep</c> is any long task keeping a worker busy.
/// </summary>
internal static class Workers
{
    public static async Task<int> RunAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        var server = new Uri(settings["Server"] ?? "http://127.0.0.1:5080");
        var slots = int.Parse(settings["Slots"] ?? "4", System.Globalization.CultureInfo.InvariantCulture);
        var ids = (settings["Ids"] ?? "worker-1,worker-2").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var agents = ids.Select(id => new MeshAgentBuilder()
            .WithServer(server).WithToken(settings["AgentToken"] ?? "dev-agent-token").WithId(id)
            .WithCapabilities("worker").WithMaxConcurrentJobs(slots)
            .Configure(o => o.RetryInitialConnection = true)
            .RegisterHandler("report.build", (command, ct) => BuildReportAsync(id, command, ct))
            .RegisterHandler("task.sleep", async (command, ct) =>
            {
                await Task.Delay(command.GetParameter("ms", 1000), ct);
                return (object?)new { agent = id, slept = command.GetParameter("ms", 1000) };
            })
            .Build()).ToList();
        try
        {
            await Task.WhenAll(agents.Select(a => a.ConnectAsync(cancellationToken)));
            Console.WriteLine($"{agents.Count} workers connected to {server}, {slots} slots each");
            await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            await Task.WhenAll(agents.Select(a => a.DisposeAsync().AsTask()));
        }

        return 0;
    }

    private static async Task<object?> BuildReportAsync(string agent, MeshCommand command, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await Task.Delay(command.GetParameter("workMs", 100), cancellationToken); // The report's work.
        return new { agent, report = command.GetParameter("report", "daily"), scheduledAt = command.GetParameter<string?>("scheduledAt", null), tookMs = watch.ElapsedMilliseconds };
    }
}
