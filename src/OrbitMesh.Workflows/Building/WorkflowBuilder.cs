namespace OrbitMesh.Workflows;

/// <summary>
/// Builds a <see cref="WorkflowDefinition"/> fluently. Each step added with <c>AddStep</c>,
/// <c>Then</c>, <see cref="AddCommand"/> or <see cref="AddFanOut"/> depends on the step(s) before it;
/// <see cref="AddParallel"/> starts branches that all depend on the step before, and the next step
/// waits for every branch. Modifiers (<c>WithRetry</c>, <c>WithTimeout</c>, <c>OnAgent</c>, ...)
/// apply to the step just added. A builder is single-use: <see cref="Build"/> validates once and
/// reports every problem in one <see cref="WorkflowValidationException"/>.
/// </summary>
/// <example>
/// <code>
/// var workflow = new WorkflowBuilder("deploy-app")
///     .AddStep&lt;ValidateStep&gt;()
///     .AddStep&lt;BuildStep&gt;().WithRetry(3, TimeSpan.FromSeconds(10))
///     .AddParallel(branch => branch.AddStep&lt;DeployToNodeA&gt;(), branch => branch.AddStep&lt;DeployToNodeB&gt;())
///     .AddStep&lt;HealthCheckStep&gt;().WithCompensation&lt;RollbackStep&gt;()
///     .Build();
/// </code>
/// </example>
public partial class WorkflowBuilder
{
    private readonly WorkflowBuilderState _state;
    private readonly bool _isBranch;
    private readonly List<string> _added = [];
    private List<string> _frontier;
    private int _last = -1;
    private string _lastCall = "before any step";

    private readonly string _name;
    private int _version = 1;
    private string? _description;
    private TimeSpan? _timeout;
    private int? _maxParallelism;
    private string[] _requiredParameters = [];
    private WorkflowCompensationDefinition? _onFailure;

    /// <summary>Starts a workflow named <paramref name="name"/> (the id rules apply; checked by <see cref="Build"/>).</summary>
    public WorkflowBuilder(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        _name = name;
        _state = new WorkflowBuilderState();
        _frontier = [];
    }

    private WorkflowBuilder(WorkflowBuilder parent)
    {
        _name = parent._name;
        _state = parent._state;
        _isBranch = true;
        _frontier = [.. parent._frontier];
    }

    /// <summary>Adds a class step with an id derived from its type name (<c>BuildStep</c> → <c>build-step</c>, then <c>build-step-2</c>).</summary>
    public WorkflowBuilder AddStep<TStep>()
        where TStep : class, IWorkflowStep => AddClassStep<TStep>(null, null);

    /// <summary>Adds a class step with an explicit id.</summary>
    public WorkflowBuilder AddStep<TStep>(string id)
        where TStep : class, IWorkflowStep => AddClassStep<TStep>(id ?? throw new ArgumentNullException(nameof(id)), null);

    /// <summary>
    /// Adds a class step whose instance <paramref name="configure"/> sets up after activation, before
    /// each attempt (<c>AddStep&lt;DownloadPackage&gt;(cfg => cfg.Version = version)</c>). The action is
    /// code only: JSON does not carry it.
    /// </summary>
    public WorkflowBuilder AddStep<TStep>(Action<TStep> configure)
        where TStep : class, IWorkflowStep => AddClassStep(null, configure ?? throw new ArgumentNullException(nameof(configure)));

    /// <summary>Adds a class step with an explicit id and a configure action.</summary>
    public WorkflowBuilder AddStep<TStep>(string id, Action<TStep> configure)
        where TStep : class, IWorkflowStep =>
        AddClassStep(id ?? throw new ArgumentNullException(nameof(id)), configure ?? throw new ArgumentNullException(nameof(configure)));

    /// <summary>The same as <see cref="AddStep{TStep}()"/>: the step runs after the one before it.</summary>
    public WorkflowBuilder Then<TStep>()
        where TStep : class, IWorkflowStep => AddStep<TStep>();

    /// <summary>The same as <see cref="AddStep{TStep}(string)"/>.</summary>
    public WorkflowBuilder Then<TStep>(string id)
        where TStep : class, IWorkflowStep => AddStep<TStep>(id);

    /// <summary>The same as <see cref="AddStep{TStep}(Action{TStep})"/>.</summary>
    public WorkflowBuilder Then<TStep>(Action<TStep> configure)
        where TStep : class, IWorkflowStep => AddStep(configure);

    /// <summary>The same as <see cref="AddStep{TStep}(string, Action{TStep})"/>.</summary>
    public WorkflowBuilder Then<TStep>(string id, Action<TStep> configure)
        where TStep : class, IWorkflowStep => AddStep(id, configure);

    /// <summary>
    /// Adds a command step: each attempt runs <paramref name="command"/> as a durable job on one agent
    /// of <paramref name="target"/>. No class is needed.
    /// </summary>
    /// <param name="id">The step's id.</param>
    /// <param name="command">The command an agent handler is registered under.</param>
    /// <param name="parameters">The command's parameters: an object serialized to a JSON object, or null.</param>
    /// <param name="target">Which agents may run it; null for any agent with a handler for the command.</param>
    public WorkflowBuilder AddCommand(string id, string command, object? parameters = null, AgentTarget? target = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(command);
        return Add(new WorkflowStepDefinition
        {
            Id = id,
            Kind = WorkflowStepKind.Command,
            Command = command,
            Parameters = OrbitMeshJson.ToElement(parameters),
            Target = target,
        });
    }

    /// <summary>Adds a fan-out step: <paramref name="command"/> runs as one job on every agent of <paramref name="target"/>.</summary>
    /// <param name="id">The step's id.</param>
    /// <param name="command">The command an agent handler is registered under.</param>
    /// <param name="parameters">The command's parameters, or null.</param>
    /// <param name="target">Which agents run it; null for every agent with a handler for the command.</param>
    /// <param name="policy">What the step reports when some agents fail.</param>
    public WorkflowBuilder AddFanOut(string id, string command, object? parameters = null, AgentTarget? target = null, FanOutFailurePolicy policy = FanOutFailurePolicy.FailOnAny)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(command);
        return Add(new WorkflowStepDefinition
        {
            Id = id,
            Kind = WorkflowStepKind.FanOut,
            Command = command,
            Parameters = OrbitMeshJson.ToElement(parameters),
            Target = target,
            FanOutPolicy = policy,
        });
    }

    /// <summary>
    /// Adds branches that run concurrently: the first step of each depends on the step(s) before the
    /// block, and the step after the block waits for the last step of every branch. Inside a branch,
    /// steps follow each other as usual, and branches may nest.
    /// </summary>
    public WorkflowBuilder AddParallel(params Action<WorkflowBuilder>[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        EnsureNotBuilt();
        var where = DescribeFrontier();
        if (branches.Length == 0)
        {
            Misuse(WorkflowErrorCodes.EmptyBranch, $"AddParallel() {where} has no branches; give at least one.");
            return this;
        }

        var tails = new List<string>();
        for (var i = 0; i < branches.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(branches[i], nameof(branches));
            var branch = new WorkflowBuilder(this);
            branches[i](branch);
            if (branch._added.Count == 0)
            {
                Misuse(WorkflowErrorCodes.EmptyBranch, $"Branch {i + 1} of {branches.Length} of AddParallel() {where} adds no steps.");
                continue;
            }

            _added.AddRange(branch._added);
            tails.AddRange(branch._frontier.Where(id => !tails.Contains(id, StringComparer.Ordinal)));
        }

        if (tails.Count > 0)
        {
            _frontier = tails;
        }

        _last = -1;
        _lastCall = "after AddParallel(), which ends in several steps (call it inside a branch instead)";
        return this;
    }

    /// <summary>
    /// Fan-in: the next step waits for every step added so far (in this builder or branch) that no
    /// other step waits for, such as steps given explicit dependencies with <see cref="DependsOn"/>.
    /// </summary>
    public WorkflowBuilder WaitAll()
    {
        EnsureNotBuilt();
        var sinks = _added.Where(id => !_state.HasDependents(id)).ToList();
        if (sinks.Count > 0)
        {
            _frontier = sinks;
        }

        _last = -1;
        _lastCall = "after WaitAll(), which ends in several steps";
        return this;
    }

    /// <summary>
    /// Validates the workflow and returns it.
    /// </summary>
    /// <exception cref="WorkflowValidationException">With every problem found: cycles (named),
    /// unknown dependencies, duplicate ids, empty parallel branches, invalid ids, limits.</exception>
    /// <exception cref="InvalidOperationException">Called twice, or on a parallel branch.</exception>
    public WorkflowDefinition Build()
    {
        if (_isBranch)
        {
            throw new InvalidOperationException("Build() belongs to the workflow builder, not to a parallel branch.");
        }

        EnsureNotBuilt();
        _state.Built = true;
        var definition = new WorkflowDefinition
        {
            Name = _name,
            Version = _version,
            Description = _description,
            Steps = [.. _state.Steps],
            Timeout = _timeout,
            MaxParallelism = _maxParallelism,
            RequiredParameters = _requiredParameters,
            OnFailure = _onFailure,
        };

        var errors = new List<WorkflowValidationError>(_state.Errors);
        errors.AddRange(WorkflowValidator.Validate(definition));
        return errors.Count == 0 ? definition : throw new WorkflowValidationException(_name, errors);
    }

    private WorkflowBuilder AddClassStep<TStep>(string? id, Action<TStep>? configure)
        where TStep : class, IWorkflowStep
    {
        EnsureNotBuilt();
        return Add(new WorkflowStepDefinition
        {
            Id = id ?? _state.UniqueId(typeof(TStep)),
            Kind = WorkflowStepKind.Class,
            StepType = typeof(TStep).FullName ?? typeof(TStep).Name,
            StepClrType = typeof(TStep),
            Configure = configure is null ? null : step => configure((TStep)step),
        });
    }

    private WorkflowBuilder Add(WorkflowStepDefinition step)
    {
        EnsureNotBuilt();
        _last = _state.Add(step with { DependsOn = [.. _frontier] });
        _added.Add(step.Id);
        _frontier = [step.Id];
        _lastCall = $"after step '{step.Id}'";
        return this;
    }

    private string DescribeFrontier() => _frontier.Count switch
    {
        0 => "at the start of the workflow",
        1 => $"after step '{_frontier[0]}'",
        _ => $"after steps '{string.Join("', '", _frontier)}'",
    };

    private void Misuse(string code, string message) => _state.Errors.Add(new WorkflowValidationError(code, message));

    private void EnsureNotBuilt()
    {
        if (_state.Built)
        {
            throw new InvalidOperationException("This WorkflowBuilder has already built its workflow; a builder is single-use, so start a new one.");
        }
    }
}
