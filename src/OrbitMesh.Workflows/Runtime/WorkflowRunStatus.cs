using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>Where a workflow run is. In JSON, camelCase names (<c>"running"</c>, <c>"compensationFailed"</c>, ...).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkflowRunStatus>))]
public enum WorkflowRunStatus
{
    /// <summary>Steps are being started as their dependencies finish.</summary>
    [JsonStringEnumMemberName("running")]
    Running = 0,

    /// <summary>No new step starts; steps already running finish. Resume to go on.</summary>
    [JsonStringEnumMemberName("paused")]
    Paused = 1,

    /// <summary>A step failed for good (or the run was cancelled with compensation): completed steps are being undone.</summary>
    [JsonStringEnumMemberName("compensating")]
    Compensating = 2,

    /// <summary>Every step succeeded or was skipped.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded = 3,

    /// <summary>A step failed for good; the completed steps were compensated.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed = 4,

    /// <summary>The run was cancelled.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled = 5,

    /// <summary>A compensation failed; the run's <see cref="WorkflowRun.Reason"/> names the step and why.</summary>
    [JsonStringEnumMemberName("compensationFailed")]
    CompensationFailed = 6,

    /// <summary>The run had succeeded and was rolled back (its rollout stopped): every completed step was compensated.</summary>
    [JsonStringEnumMemberName("rolledBack")]
    RolledBack = 7,
}

/// <summary>Where one step of a run is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkflowStepStatus>))]
public enum WorkflowStepStatus
{
    /// <summary>Waiting for its dependencies (or for the run to resume).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending = 0,

    /// <summary>An attempt is running.</summary>
    [JsonStringEnumMemberName("running")]
    Running = 1,

    /// <summary>An attempt failed; the next starts after the backoff.</summary>
    [JsonStringEnumMemberName("retrying")]
    Retrying = 2,

    /// <summary>The step did its work.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded = 3,

    /// <summary>The step failed for good.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed = 4,

    /// <summary>The step's condition was false, or the step reported nothing to do.</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped = 5,

    /// <summary>The step never ran (or was stopped) because the run failed or was cancelled.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled = 6,

    /// <summary>The step had succeeded and its compensation undid it.</summary>
    [JsonStringEnumMemberName("compensated")]
    Compensated = 7,

    /// <summary>The step had succeeded and its compensation failed.</summary>
    [JsonStringEnumMemberName("compensationFailed")]
    CompensationFailed = 8,
}

/// <summary>The names runs and steps have in JSON, the REST API and the CLI (<c>"compensationFailed"</c>, ...).</summary>
public static class WorkflowStatusNames
{
    /// <summary>The status's JSON name.</summary>
    public static string Of(WorkflowRunStatus status) => System.Text.Json.JsonSerializer.Serialize(status).Trim('"');

    /// <summary>The status's JSON name.</summary>
    public static string Of(WorkflowStepStatus status) => System.Text.Json.JsonSerializer.Serialize(status).Trim('"');
}
