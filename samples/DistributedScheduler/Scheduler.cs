using Microsoft.Extensions.Configuration;
using OrbitMesh;
using OrbitMesh.Client;
using OrbitMesh.Workflows;

namespace DistributedScheduler;

/// <summary>
/// Puts a workflow on a cron schedule. The schedule lives on the server (fired once per time across
/// servers sharing the store); each run's step goes to whichever worker is least loaded when it is dispatched.
/// </summary>
internal static class Scheduler
{
    public static WorkflowDefinition Report { get; } = new WorkflowBuilder("build-report")
        .AddCommand("build", "report.build", new { report = "${{ params.report }}", scheduledAt = "${{ params.trigger.scheduledAt }}" }, AgentTarget.WithCapability("worker"))
        .WithRetry(3, TimeSpan.FromSeconds(2))
        .Build();

    public static async Task<int> ScheduleAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        using var mesh = Client(settings);
        var name = settings["Name"] ?? "report-every-10s";
        await mesh.RegisterWorkflowAsync(Report, cancellationToken);
        await mesh.ScheduleWorkflowAsync(name, settings["Cron"] ?? "*/10 * * * * *", Report.Name, new { report = settings["Report"] ?? "daily" }, settings["TimeZone"], cancellationToken);
        var trigger = await mesh.GetTriggerAsync(name, cancellationToken);
        Console.WriteLine($"scheduled {Report.Name} as {name} on '{trigger!.Trigger.Schedule}' ({trigger.Trigger.TimeZone ?? "UTC"}); next run at {trigger.NextFireAt:O}");
        return 0;
    }

    public static async Task<int> StatusAsync(IConfiguration settings, CancellationToken cancellationToken)
    {
        using var mesh = Client(settings);
        var name = settings["Name"] ?? "report-every-10s";
        if (await mesh.GetTriggerAsync(name, cancellationToken) is not { } trigger)
        {
            Console.Error.WriteLine($"error: no trigger named {name}");
            return 1;
        }

        Console.WriteLine($"{name}: {trigger.Runs} runs, next at {trigger.NextFireAt:O}, last error: {trigger.LastError ?? "none"}");
        foreach (var summary in await mesh.ListWorkflowRunsAsync(new WorkflowRunQuery { Workflow = Report.Name, Limit = 20 }, cancellationToken))
        {
            var run = await mesh.GetWorkflowRunAsync(summary.RunId, cancellationToken);
            var output = run!.Steps.Single().Output;
            Console.WriteLine($"  {run.StartedAt:HH:mm:ss} {run.Status,-10} on {(output is { } o ? o.GetProperty("agent").GetString() : "-")}");
        }

        return 0;
    }

    private static MeshHttpClient Client(IConfiguration settings) =>
        new(new Uri(settings["Server"] ?? "http://127.0.0.1:5080"), settings["ApiKey"] ?? "dev-api-key");
}
