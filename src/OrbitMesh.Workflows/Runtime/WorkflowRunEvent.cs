using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// One transition of a workflow run, as stored in the run's event stream (<c>workflow-run-{runId}</c>)
/// and as sent to watchers. <see cref="Type"/> says which members are set; see <see cref="WorkflowRunEventTypes"/>.
/// </summary>
public sealed record WorkflowRunEvent
{
    /// <summary>The event's type, one of <see cref="WorkflowRunEventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>The event's position in the run's stream, from 1; set when read back.</summary>
    public long Sequence { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The step the event is about, for step and compensation events.</summary>
    public string? StepId { get; init; }

    /// <summary>The attempt, from 1, for step events.</summary>
    public int? Attempt { get; init; }

    /// <summary>The job (or, for fan-out, the first job) that runs the attempt, when it runs on an agent.</summary>
    public string? JobId { get; init; }

    /// <summary>A step's output when it succeeded with one.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Why a step or the run failed, was skipped, paused or cancelled.</summary>
    public string? Reason { get; init; }

    /// <summary>When the next attempt starts, for <see cref="WorkflowRunEventTypes.StepRetrying"/>.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>The run's final status, for <see cref="WorkflowRunEventTypes.RunFinished"/>.</summary>
    public WorkflowRunStatus? Status { get; init; }

    /// <summary>Whether compensation runs, for <see cref="WorkflowRunEventTypes.RunCancelRequested"/>.</summary>
    public bool? Compensate { get; init; }

    /// <summary>The run's definition as JSON, for <see cref="WorkflowRunEventTypes.RunStarted"/>.</summary>
    public JsonElement? Definition { get; init; }

    /// <summary>The run's parameters, for <see cref="WorkflowRunEventTypes.RunStarted"/>.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>
    /// The run's secrets, for <see cref="WorkflowRunEventTypes.RunStarted"/>: one JSON object of name to
    /// value, encrypted by the server's <see cref="IWorkflowSecretProtector"/> (Data Protection). Never
    /// in clear; decrypted only in memory, to render the templates of the steps that read them.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SealedSecrets { get; init; }

    /// <summary>The names of the run's secrets (never their values), for <see cref="WorkflowRunEventTypes.RunStarted"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? SecretNames { get; init; }

    /// <summary>
    /// The agent a rolling or per-agent instance is bound to, for <see cref="WorkflowRunEventTypes.RunStarted"/>:
    /// command, fan-out and compensation steps without a target of their own run on it.
    /// </summary>
    public string? BoundAgent { get; init; }

    /// <summary>True when the definition carried code-only members (conditions, configure actions).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CodeOnly { get; init; }
}

/// <summary>The event types of a workflow run's stream.</summary>
public static class WorkflowRunEventTypes
{
    /// <summary>The run started; carries the definition and parameters.</summary>
    public const string RunStarted = "run.started";

    /// <summary>The run was paused.</summary>
    public const string RunPaused = "run.paused";

    /// <summary>The run was resumed.</summary>
    public const string RunResumed = "run.resumed";

    /// <summary>Cancellation was asked for; <see cref="WorkflowRunEvent.Compensate"/> says whether compensation runs.</summary>
    public const string RunCancelRequested = "run.cancelRequested";

    /// <summary>The run exceeded its definition's timeout; it fails and compensates.</summary>
    public const string RunTimedOut = "run.timedOut";

    /// <summary>A succeeded run is being rolled back (a rollout stopped): its completed steps are compensated in reverse order.</summary>
    public const string RunRollbackRequested = "run.rollbackRequested";

    /// <summary>The run began compensating after a failure or a cancel with compensation.</summary>
    public const string RunCompensating = "run.compensating";

    /// <summary>The run ended; <see cref="WorkflowRunEvent.Status"/> says how.</summary>
    public const string RunFinished = "run.finished";

    /// <summary>An attempt of a step started.</summary>
    public const string StepStarted = "step.started";

    /// <summary>The job running a step's attempt was submitted.</summary>
    public const string StepJobSubmitted = "step.jobSubmitted";

    /// <summary>A step succeeded.</summary>
    public const string StepSucceeded = "step.succeeded";

    /// <summary>An attempt failed and another follows at <see cref="WorkflowRunEvent.NextAttemptAt"/>.</summary>
    public const string StepRetrying = "step.retrying";

    /// <summary>A step failed for good.</summary>
    public const string StepFailed = "step.failed";

    /// <summary>A step was skipped (its condition was false, or it reported nothing to do).</summary>
    public const string StepSkipped = "step.skipped";

    /// <summary>A step that had not finished was cancelled because the run failed or was cancelled.</summary>
    public const string StepCancelled = "step.cancelled";

    /// <summary>A completed step's compensation started.</summary>
    public const string CompensationStarted = "compensation.started";

    /// <summary>A completed step's compensation succeeded (or had nothing to do).</summary>
    public const string CompensationSucceeded = "compensation.succeeded";

    /// <summary>A completed step's compensation failed.</summary>
    public const string CompensationFailed = "compensation.failed";

    /// <summary>The definition's <c>onFailure</c> handler started; <see cref="WorkflowRunEvent.StepId"/> is <c>onFailure</c>.</summary>
    public const string OnFailureStarted = "onFailure.started";

    /// <summary>The definition's <c>onFailure</c> handler ended; <see cref="WorkflowRunEvent.Reason"/> is set when it failed.</summary>
    public const string OnFailureFinished = "onFailure.finished";
}
