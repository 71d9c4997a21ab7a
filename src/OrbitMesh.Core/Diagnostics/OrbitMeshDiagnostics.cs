using System.Diagnostics;

namespace OrbitMesh.Diagnostics;

/// <summary>
/// The names OrbitMesh publishes telemetry under, and its <see cref="ActivitySource"/>. Subscribe to
/// traces with <c>AddSource(OrbitMeshDiagnostics.Name)</c> and to metrics with <c>AddMeter(OrbitMeshDiagnostics.Name)</c>.
/// </summary>
public static class OrbitMeshDiagnostics
{
    /// <summary>The name of the activity source and of the meter: <c>OrbitMesh</c>.</summary>
    public const string Name = "OrbitMesh";

    /// <summary>Span of a job submission on the server (REST, <c>ExecuteAsync</c>, in-process).</summary>
    public const string SubmitActivity = "orbitmesh.job.submit";

    /// <summary>Span of one assignment of a job to an agent, from sending it until the agent acknowledges or the attempt ends.</summary>
    public const string DispatchActivity = "orbitmesh.job.dispatch";

    /// <summary>Span of a job's execution on the agent, a child of the dispatch span that carried it.</summary>
    public const string ExecuteActivity = "orbitmesh.job.execute";

    /// <summary>Tag: the job id.</summary>
    public const string JobIdTag = "orbitmesh.job.id";

    /// <summary>Tag: the command.</summary>
    public const string CommandTag = "orbitmesh.job.command";

    /// <summary>Tag: the agent id.</summary>
    public const string AgentIdTag = "orbitmesh.agent.id";

    /// <summary>Tag: the attempt number.</summary>
    public const string AttemptTag = "orbitmesh.job.attempt";

    /// <summary>Tag: a job's final status.</summary>
    public const string StatusTag = "orbitmesh.job.status";

    /// <summary>The activity source every OrbitMesh span comes from.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name, typeof(OrbitMeshDiagnostics).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts an activity whose parent is the W3C <c>traceparent</c> carried in a message (null or
    /// invalid: a new root). Returns null when nobody listens.
    /// </summary>
    /// <param name="name">The activity name.</param>
    /// <param name="kind">Its kind.</param>
    /// <param name="traceParent">The parent's <c>traceparent</c> header value.</param>
    public static Activity? StartActivity(string name, ActivityKind kind, string? traceParent)
    {
        if (!ActivitySource.HasListeners())
        {
            return null;
        }

        return traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)
            ? ActivitySource.StartActivity(name, kind, parent)
            : ActivitySource.StartActivity(name, kind, parentContext: default);
    }
}
