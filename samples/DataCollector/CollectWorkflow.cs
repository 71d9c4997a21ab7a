using OrbitMesh;
using OrbitMesh.Workflows;

namespace DataCollector;

/// <summary>
/// The seed's collect-metrics workflow: metrics and logs gathered on every collector agent at once
/// (two fan-out steps, which report each agent's failure instead of failing), then aggregated on the server.
/// </summary>
internal static class CollectWorkflow
{
    public const string Name = "collect-metrics";

    public static WorkflowDefinition Definition { get; } = new MeshWorkflow(Name)
        .AddParallel(
            metrics => metrics.AddFanOut("system-metrics", "metrics.gather", target: AgentTarget.WithCapability("collector"), policy: FanOutFailurePolicy.IgnoreFailures),
            logs => logs.AddFanOut("application-logs", "logs.gather", new { match = "${{ params.match }}", lines = 20 }, AgentTarget.WithCapability("collector"), FanOutFailurePolicy.IgnoreFailures))
        .AddStep<AggregateResults>()
        .Build();
}
