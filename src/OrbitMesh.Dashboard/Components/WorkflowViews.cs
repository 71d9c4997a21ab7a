using OrbitMesh.Workflows;

namespace OrbitMesh.Dashboard.Components;

/// <summary>How the pages show workflows, runs and steps.</summary>
internal static class WorkflowViews
{
    public static string Name(WorkflowRunStatus status) => WorkflowStatusNames.Of(status);

    public static string Name(WorkflowStepStatus status) => WorkflowStatusNames.Of(status);

    public static string StatusClass(WorkflowRunStatus status) => "status wf-" + Name(status).ToLowerInvariant();

    public static string StatusClass(WorkflowStepStatus status) => "status wf-" + Name(status).ToLowerInvariant();

    /// <summary>Runs that can still be paused, resumed or cancelled.</summary>
    public static bool IsLive(WorkflowRun run) => !run.IsFinal;
}
