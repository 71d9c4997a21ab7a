using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>A workflow run as its events left it: status, parameters, and each step's state.</summary>
public sealed record WorkflowRun
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The workflow's name.</summary>
    public required string Workflow { get; init; }

    /// <summary>The definition version the run executes; a run keeps it for its whole life.</summary>
    public int Version { get; init; }

    /// <summary>Where the run is.</summary>
    public WorkflowRunStatus Status { get; init; }

    /// <summary>The run's parameters, or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>The names of the secrets the run was given, or null; their values are never shown (the CLI prints <c>NAME=***</c>).</summary>
    public IReadOnlyList<string>? SecretNames { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended, or null while it runs.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why it failed, was cancelled or paused; names the step.</summary>
    public string? Reason { get; init; }

    /// <summary>The agent a rolling or per-agent instance is bound to, or null.</summary>
    public string? BoundAgent { get; init; }

    /// <summary>Each step, in the definition's declaration order.</summary>
    public IReadOnlyList<WorkflowStepRun> Steps { get; init; } = [];

    /// <summary>The sequence of the run's last event.</summary>
    public long LastSequence { get; init; }

    /// <summary>True once the run has ended.</summary>
    public bool IsFinal => Status is WorkflowRunStatus.Succeeded or WorkflowRunStatus.Failed or WorkflowRunStatus.Cancelled
        or WorkflowRunStatus.CompensationFailed or WorkflowRunStatus.RolledBack;
}

/// <summary>One step of a run.</summary>
public sealed record WorkflowStepRun
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>Where the step is.</summary>
    public WorkflowStepStatus Status { get; init; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; init; }

    /// <summary>The job running (or that ran) the latest attempt, for command and fan-out steps.</summary>
    public string? JobId { get; init; }

    /// <summary>The step's output when it succeeded with one.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Why the latest attempt failed, or why the step was skipped or its compensation failed.</summary>
    public string? Error { get; init; }

    /// <summary>When the first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the step finished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the next attempt starts, while <see cref="WorkflowStepStatus.Retrying"/>.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }
}
