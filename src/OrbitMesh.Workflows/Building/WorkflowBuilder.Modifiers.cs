namespace OrbitMesh.Workflows;

/// <summary>The modifiers of the step just added, and the workflow-wide settings.</summary>
public partial class WorkflowBuilder
{
    /// <summary>
    /// Attempts the step up to <paramref name="maxAttempts"/> times in all (the first included),
    /// waiting <paramref name="initialBackoff"/> after the first failure and doubling the wait after
    /// each further one, up to <paramref name="maxBackoff"/>.
    /// </summary>
    /// <param name="maxAttempts">Attempts in all, from 1 to <see cref="WorkflowLimits.MaxAttempts"/>.</param>
    /// <param name="initialBackoff">The wait before the second attempt.</param>
    /// <param name="maxBackoff">The longest wait; null for the larger of five minutes and <paramref name="initialBackoff"/>.</param>
    /// <param name="jitter">Whether each wait is drawn between half and all of the exponential delay.</param>
    public WorkflowBuilder WithRetry(int maxAttempts, TimeSpan initialBackoff, TimeSpan? maxBackoff = null, bool jitter = true) =>
        WithRetry(new WorkflowRetryPolicy
        {
            MaxAttempts = maxAttempts,
            InitialBackoff = initialBackoff,
            MaxBackoff = maxBackoff ?? (initialBackoff > WorkflowRetryPolicy.DefaultMaxBackoff ? initialBackoff : WorkflowRetryPolicy.DefaultMaxBackoff),
            Jitter = jitter,
        });

    /// <summary>Gives the step a retry policy.</summary>
    public WorkflowBuilder WithRetry(WorkflowRetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Modify(nameof(WithRetry), step => step with { Retry = policy });
    }

    /// <summary>Limits how long one attempt of the step may run.</summary>
    public WorkflowBuilder WithTimeout(TimeSpan timeout) =>
        Modify(nameof(WithTimeout), step => step with { Timeout = timeout });

    /// <summary>Runs the step on an agent with <paramref name="capability"/> (command and fan-out steps).</summary>
    public WorkflowBuilder OnAgent(string capability)
    {
        ArgumentNullException.ThrowIfNull(capability);
        return OnTarget(AgentTarget.WithCapability(capability));
    }

    /// <summary>Runs the step on the agents of <paramref name="target"/> (command and fan-out steps).</summary>
    public WorkflowBuilder OnTarget(AgentTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Modify(nameof(OnTarget), step => step with { Target = target });
    }

    /// <summary>Sets the step's parameters: an object serialized to a JSON object, or null.</summary>
    public WorkflowBuilder WithParameters(object? parameters) =>
        Modify(nameof(WithParameters), step => step with { Parameters = OrbitMeshJson.ToElement(parameters) });

    /// <summary>
    /// Replaces the step's dependencies with <paramref name="stepIds"/> (none: the step starts with
    /// the run). Unknown ids are reported by <see cref="Build"/>.
    /// </summary>
    public WorkflowBuilder DependsOn(params string[] stepIds)
    {
        ArgumentNullException.ThrowIfNull(stepIds);
        return Modify(nameof(DependsOn), step => step with { DependsOn = [.. stepIds] });
    }

    /// <summary>
    /// Runs the step only when <paramref name="condition"/> returns true; otherwise the step is
    /// skipped. Code only: JSON does not carry it.
    /// </summary>
    public WorkflowBuilder When(Func<StepContext, bool> condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return Modify(nameof(When), step => step with { Condition = condition });
    }

    /// <summary>
    /// Runs the step only when <paramref name="expression"/> is true (docs/workflows.md, Expressions):
    /// a condition that is data, so the definition stays serializable and resumable anywhere.
    /// </summary>
    public WorkflowBuilder If(string expression)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        return Modify(nameof(If), step => step with { If = expression });
    }

    /// <summary>Undoes the step with a <typeparamref name="TCompensation"/> class when a later step fails for good.</summary>
    /// <param name="timeout">How long the compensation may run; null for the runtime's default.</param>
    public WorkflowBuilder WithCompensation<TCompensation>(TimeSpan? timeout = null)
        where TCompensation : class, ICompensationStep =>
        Modify(nameof(WithCompensation), step => step with { Compensation = ClassCompensation<TCompensation>(timeout) });

    /// <summary>Undoes the step with a command when a later step fails for good.</summary>
    /// <param name="command">The command that undoes the step.</param>
    /// <param name="parameters">Its parameters, or null.</param>
    /// <param name="target">Which agents may run it; null for any agent with a handler.</param>
    /// <param name="timeout">How long the compensation may run; null for the runtime's default.</param>
    public WorkflowBuilder WithCompensation(string command, object? parameters = null, AgentTarget? target = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Modify(nameof(WithCompensation), step => step with { Compensation = CommandCompensation(command, parameters, target, timeout) });
    }

    /// <summary>
    /// Runs a <typeparamref name="TCompensation"/> class once when a run fails, after the completed
    /// steps' own compensations. Applies to the workflow, wherever it is called.
    /// </summary>
    public WorkflowBuilder OnFailure<TCompensation>(TimeSpan? timeout = null)
        where TCompensation : class, ICompensationStep =>
        SetWorkflow(nameof(OnFailure), () => _onFailure = ClassCompensation<TCompensation>(timeout));

    /// <summary>Runs a command once when a run fails, after the completed steps' own compensations.</summary>
    public WorkflowBuilder OnFailure(string command, object? parameters = null, AgentTarget? target = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        return SetWorkflow(nameof(OnFailure), () => _onFailure = CommandCompensation(command, parameters, target, timeout));
    }

    /// <summary>Sets the definition's version (default 1).</summary>
    public WorkflowBuilder WithVersion(int version) =>
        SetWorkflow(nameof(WithVersion), () => _version = version);

    /// <summary>Sets a description for people.</summary>
    public WorkflowBuilder WithDescription(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        return SetWorkflow(nameof(WithDescription), () => _description = description);
    }

    /// <summary>Names run parameters every run must be started with; a start without them is refused, naming each.</summary>
    public WorkflowBuilder RequireParameters(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return SetWorkflow(nameof(RequireParameters), () => _requiredParameters = [.. _requiredParameters, .. names]);
    }

    /// <summary>Limits how long a whole run may take.</summary>
    public WorkflowBuilder WithWorkflowTimeout(TimeSpan timeout) =>
        SetWorkflow(nameof(WithWorkflowTimeout), () => _timeout = timeout);

    /// <summary>Limits how many steps of one run may run at once.</summary>
    public WorkflowBuilder WithMaxParallelism(int maxParallelism) =>
        SetWorkflow(nameof(WithMaxParallelism), () => _maxParallelism = maxParallelism);

    private static WorkflowCompensationDefinition ClassCompensation<TCompensation>(TimeSpan? timeout)
        where TCompensation : class, ICompensationStep => new()
        {
            Kind = WorkflowStepKind.Class,
            StepType = typeof(TCompensation).FullName ?? typeof(TCompensation).Name,
            StepClrType = typeof(TCompensation),
            Timeout = timeout,
        };

    private static WorkflowCompensationDefinition CommandCompensation(string command, object? parameters, AgentTarget? target, TimeSpan? timeout) => new()
    {
        Kind = WorkflowStepKind.Command,
        Command = command,
        Parameters = OrbitMeshJson.ToElement(parameters),
        Target = target,
        Timeout = timeout,
    };

    private WorkflowBuilder Modify(string method, Func<WorkflowStepDefinition, WorkflowStepDefinition> change)
    {
        EnsureNotBuilt();
        if (_last < 0)
        {
            Misuse(WorkflowErrorCodes.BuilderMisuse, $"{method}() must follow the step it modifies; it was called {_lastCall}.");
            return this;
        }

        _state.Steps[_last] = change(_state.Steps[_last]);
        return this;
    }

    private WorkflowBuilder SetWorkflow(string method, Action set)
    {
        EnsureNotBuilt();
        if (_isBranch)
        {
            Misuse(WorkflowErrorCodes.BuilderMisuse, $"{method}() applies to the whole workflow; call it on the workflow builder, not inside a parallel branch.");
            return this;
        }

        set();
        return this;
    }
}
