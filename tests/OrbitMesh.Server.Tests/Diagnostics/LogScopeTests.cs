using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrbitMesh.Diagnostics;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>Log entries about a job carry its job id, the agent id and the trace id in their scopes.</summary>
public sealed class LogScopeTests
{
    [Fact]
    public async Task JobLogs_CarryTheJobIdAgentIdAndTheDispatchTraceId()
    {
        var dispatches = new ConcurrentDictionary<string, ActivityTraceId>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OrbitMeshDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == OrbitMeshDiagnostics.DispatchActivity && activity.GetTagItem(OrbitMeshDiagnostics.JobIdTag) is string jobId)
                {
                    dispatches[jobId] = activity.TraceId;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var server = await TestMeshServer.StartAsync(services: s =>
            s.Configure<LoggerFactoryOptions>(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId));
        await using var agent = server.NewAgent("scoped").RegisterHandler("work", _ => "done").Build();
        await agent.ConnectAsync();

        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "work" });
        var jobId = result.JobId;

        // The dispatch span ends when the acknowledgement is processed, which may be a moment after the caller has the result.
        await Wait.UntilAsync(() => dispatches.ContainsKey(jobId), "the dispatch span to end");
        var sent = Assert.Single(server.Logs.Entries, e => e.EventId.Id == 2123 && e.Message.Contains(jobId, StringComparison.Ordinal));
        Assert.Equal(jobId, sent.Scope("JobId"));
        Assert.Equal("scoped", sent.Scope("AgentId"));
        Assert.Equal(dispatches[jobId].ToHexString(), sent.Scope("TraceId")?.ToString());

        // Reports from the agent are logged inside the hub call, which names the agent and the job.
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2102 && e.Message.Contains(jobId, StringComparison.Ordinal)), "the completion to be logged");
        var completed = server.Logs.Entries.Single(e => e.EventId.Id == 2102 && e.Message.Contains(jobId, StringComparison.Ordinal));
        Assert.Equal(jobId, completed.Scope("JobId"));
        Assert.Equal("scoped", completed.Scope("AgentId"));
    }
}
