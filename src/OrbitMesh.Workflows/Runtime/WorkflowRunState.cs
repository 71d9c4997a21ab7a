using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// The state of one run, folded from its events. <see cref="Apply"/> is pure bookkeeping: it never
/// decides anything, so replaying a stored history always yields the state the engine had.
/// </summary>
public sealed class WorkflowRunState
{
    private readonly Dictionary<string, StepState> _steps = new(StringComparer.Ordinal);
    private readonly List<string> _completionOrder = [];

    private WorkflowRunState(string runId) => RunId = runId;

    /// <summary>The run's id.</summary>
    public string RunId { get; }

    /// <summary>The definition the run executes, from its <c>run.started</c> event.</summary>
    public WorkflowDefinition Definition { get; private set; } = new();

    /// <summary>The definition as it was recorded.</summary>
    public JsonElement DefinitionJson { get; private set; }

    /// <summary>True when the recorded definition had code-only members.</summary>
    public bool CodeOnly { get; private set; }

    /// <summary>The run's parameters.</summary>
    public JsonElement? Parameters { get; private set; }

    /// <summary>The agent a rolling or per-agent instance is bound to, or null.</summary>
    public string? BoundAgent { get; private set; }

    /// <summary>The run's secrets as recorded: encrypted (see <see cref="WorkflowRunEvent.SealedSecrets"/>), or null.</summary>
    public string? SealedSecrets { get; private set; }

    /// <summary>The names of the run's secrets, or null.</summary>
    public IReadOnlyList<string>? SecretNames { get; private set; }

    /// <summary>True when a succeeded run is being rolled back.</summary>
    public bool RollingBack { get; private set; }

    /// <summary>Where the run is.</summary>
    public WorkflowRunStatus Status { get; private set; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Why it failed or was cancelled.</summary>
    public string? Reason { get; private set; }

    /// <summary>True once cancellation was asked for.</summary>
    public bool CancelRequested { get; private set; }

    /// <summary>True when the cancellation asked for compensation.</summary>
    public bool CompensateOnCancel { get; private set; }

    /// <summary>True once a step failed for good (the run will compensate).</summary>
    public bool Failing { get; private set; }

    /// <summary>The sequence of the last event applied.</summary>
    public long LastSequence { get; private set; }

    /// <summary>True once the onFailure handler has finished.</summary>
    public bool OnFailureDone { get; private set; }

    /// <summary>Step ids in the order they succeeded, for compensation in reverse.</summary>
    public IReadOnlyList<string> CompletionOrder => _completionOrder;

    /// <summary>True once the run has ended.</summary>
    public bool IsFinal => Status is WorkflowRunStatus.Succeeded or WorkflowRunStatus.Failed or WorkflowRunStatus.Cancelled
        or WorkflowRunStatus.CompensationFailed or WorkflowRunStatus.RolledBack;

    /// <summary>The state of a step.</summary>
    public StepState Step(string stepId) => _steps[stepId];

    /// <summary>The output of every step that succeeded with one.</summary>
    public Dictionary<string, JsonElement> Outputs()
    {
        var outputs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (id, step) in _steps)
        {
            if (step.Output is { } output)
            {
                outputs[id] = output;
            }
        }

        return outputs;
    }

    /// <summary>Folds a stored history into a state.</summary>
    /// <exception cref="WorkflowReplayException">The history does not start with <c>run.started</c>, or names a step the definition lacks.</exception>
    public static WorkflowRunState Replay(string runId, IEnumerable<WorkflowRunEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = new WorkflowRunState(runId);
        foreach (var e in events)
        {
            state.Apply(e);
        }

        if (state.LastSequence == 0)
        {
            throw new WorkflowReplayException(runId, "the run has no events");
        }

        return state;
    }

    /// <summary>Applies one event.</summary>
    public void Apply(WorkflowRunEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (LastSequence == 0 && e.Type != WorkflowRunEventTypes.RunStarted)
        {
            throw new WorkflowReplayException(RunId, $"its history starts with '{e.Type}', not '{WorkflowRunEventTypes.RunStarted}'");
        }

        LastSequence = e.Sequence > 0 ? e.Sequence : LastSequence + 1;
        switch (e.Type)
        {
            case WorkflowRunEventTypes.RunStarted:
                Start(e);
                break;
            case WorkflowRunEventTypes.RunPaused:
                Status = WorkflowRunStatus.Paused;
                break;
            case WorkflowRunEventTypes.RunResumed:
                Status = WorkflowRunStatus.Running;
                break;
            case WorkflowRunEventTypes.RunCancelRequested:
                CancelRequested = true;
                CompensateOnCancel = e.Compensate == true;
                Reason ??= e.Reason;
                break;
            case WorkflowRunEventTypes.RunTimedOut:
                Failing = true;
                Reason ??= e.Reason;
                break;
            case WorkflowRunEventTypes.RunRollbackRequested:
                RollingBack = true;
                Status = WorkflowRunStatus.Compensating;
                FinishedAt = null;
                Reason = e.Reason;
                break;
            case WorkflowRunEventTypes.RunCompensating:
                Status = WorkflowRunStatus.Compensating;
                break;
            case WorkflowRunEventTypes.RunFinished:
                Status = e.Status ?? WorkflowRunStatus.Failed;
                FinishedAt = e.Timestamp;
                Reason = e.Reason ?? Reason;
                break;
            case WorkflowRunEventTypes.StepStarted:
                var started = StepOf(e);
                started.Status = WorkflowStepStatus.Running;
                started.Attempts = e.Attempt ?? started.Attempts + 1;
                started.StartedAt ??= e.Timestamp;
                started.NextAttemptAt = null;
                break;
            case WorkflowRunEventTypes.StepJobSubmitted:
                StepOf(e).JobId = e.JobId;
                break;
            case WorkflowRunEventTypes.StepSucceeded:
                var succeeded = StepOf(e);
                succeeded.Status = WorkflowStepStatus.Succeeded;
                succeeded.Output = e.Output;
                succeeded.JobId = e.JobId ?? succeeded.JobId;
                succeeded.Error = null;
                succeeded.FinishedAt = e.Timestamp;
                _completionOrder.Add(succeeded.Id);
                break;
            case WorkflowRunEventTypes.StepRetrying:
                var retrying = StepOf(e);
                retrying.Status = WorkflowStepStatus.Retrying;
                retrying.Error = e.Reason;
                retrying.JobId = e.JobId ?? retrying.JobId;
                retrying.NextAttemptAt = e.NextAttemptAt;
                break;
            case WorkflowRunEventTypes.StepFailed:
                var failed = StepOf(e);
                failed.Status = WorkflowStepStatus.Failed;
                failed.Error = e.Reason;
                failed.JobId = e.JobId ?? failed.JobId;
                failed.FinishedAt = e.Timestamp;
                Failing = true;
                Reason ??= $"step '{failed.Id}' failed: {e.Reason}";
                break;
            case WorkflowRunEventTypes.StepSkipped:
                var skipped = StepOf(e);
                skipped.Status = WorkflowStepStatus.Skipped;
                skipped.Error = e.Reason;
                skipped.FinishedAt = e.Timestamp;
                break;
            case WorkflowRunEventTypes.StepCancelled:
                var cancelled = StepOf(e);
                cancelled.Status = WorkflowStepStatus.Cancelled;
                cancelled.Error = e.Reason;
                cancelled.FinishedAt = e.Timestamp;
                break;
            case WorkflowRunEventTypes.CompensationStarted:
                StepOf(e).CompensationStarted = true;
                break;
            case WorkflowRunEventTypes.CompensationSucceeded:
                StepOf(e).Status = WorkflowStepStatus.Compensated;
                break;
            case WorkflowRunEventTypes.CompensationFailed:
                var compensationFailed = StepOf(e);
                compensationFailed.Status = WorkflowStepStatus.CompensationFailed;
                compensationFailed.Error = e.Reason;
                break;
            case WorkflowRunEventTypes.OnFailureStarted:
                break;
            case WorkflowRunEventTypes.OnFailureFinished:
                OnFailureDone = true;
                break;
            default:
                throw new WorkflowReplayException(RunId, $"event {LastSequence} has the unknown type '{e.Type}'");
        }
    }

    /// <summary>The run as the API shows it.</summary>
    public WorkflowRun ToRun() => new()
    {
        RunId = RunId,
        Workflow = Definition.Name,
        Version = Definition.Version,
        Status = Status,
        Parameters = Parameters,
        SecretNames = SecretNames,
        StartedAt = StartedAt,
        FinishedAt = FinishedAt,
        Reason = Reason,
        BoundAgent = BoundAgent,
        LastSequence = LastSequence,
        Steps = [.. Definition.Steps.Select(step => _steps[step.Id].ToStepRun())],
    };

    private void Start(WorkflowRunEvent e)
    {
        if (e.Definition is not { ValueKind: JsonValueKind.Object } json)
        {
            throw new WorkflowReplayException(RunId, "its run.started event carries no definition");
        }

        DefinitionJson = json.Clone();
        Definition = WorkflowJson.Deserialize(json.GetRawText());
        CodeOnly = e.CodeOnly;
        Parameters = e.Parameters?.Clone();
        BoundAgent = e.BoundAgent;
        SealedSecrets = e.SealedSecrets;
        SecretNames = e.SecretNames is { Count: > 0 } names ? [.. names] : null;
        Status = WorkflowRunStatus.Running;
        StartedAt = e.Timestamp;
        foreach (var step in Definition.Steps)
        {
            _steps[step.Id] = new StepState(step.Id);
        }
    }

    private StepState StepOf(WorkflowRunEvent e)
    {
        if (e.StepId is not { } id || !_steps.TryGetValue(id, out var step))
        {
            throw new WorkflowReplayException(RunId, $"event {LastSequence} ('{e.Type}') names the step '{e.StepId}', which its definition does not have");
        }

        return step;
    }

    /// <summary>One step's state.</summary>
    public sealed class StepState(string id)
    {
        /// <summary>The step's id.</summary>
        public string Id { get; } = id;

        /// <summary>Where it is.</summary>
        public WorkflowStepStatus Status { get; internal set; }

        /// <summary>Attempts started.</summary>
        public int Attempts { get; internal set; }

        /// <summary>The latest job.</summary>
        public string? JobId { get; internal set; }

        /// <summary>Its output.</summary>
        public JsonElement? Output { get; internal set; }

        /// <summary>The latest error.</summary>
        public string? Error { get; internal set; }

        /// <summary>When it first started.</summary>
        public DateTimeOffset? StartedAt { get; internal set; }

        /// <summary>When it finished.</summary>
        public DateTimeOffset? FinishedAt { get; internal set; }

        /// <summary>When the next attempt is due.</summary>
        public DateTimeOffset? NextAttemptAt { get; internal set; }

        /// <summary>True once its compensation started.</summary>
        public bool CompensationStarted { get; internal set; }

        /// <summary>True when the step has finished (in any way).</summary>
        public bool IsDone => Status is WorkflowStepStatus.Succeeded or WorkflowStepStatus.Skipped or WorkflowStepStatus.Failed
            or WorkflowStepStatus.Cancelled or WorkflowStepStatus.Compensated or WorkflowStepStatus.CompensationFailed;

        /// <summary>True when later steps may start after it.</summary>
        public bool LetsDependentsRun => Status is WorkflowStepStatus.Succeeded or WorkflowStepStatus.Skipped;

        internal WorkflowStepRun ToStepRun() => new()
        {
            StepId = Id,
            Status = Status,
            Attempts = Attempts,
            JobId = JobId,
            Output = Output,
            Error = Error,
            StartedAt = StartedAt,
            FinishedAt = FinishedAt,
            NextAttemptAt = NextAttemptAt,
        };
    }
}

/// <summary>A stored run history cannot be replayed: it is damaged, or its definition changed incompatibly.</summary>
public sealed class WorkflowReplayException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowReplayException(string runId, string problem)
        : base("workflow_replay_refused", $"Workflow run '{runId}' cannot be replayed: {problem}.")
    {
        RunId = runId;
    }

    /// <summary>The run.</summary>
    public string RunId { get; }
}
