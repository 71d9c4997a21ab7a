using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows;

/// <summary>
/// Runs workflows on the server: registers definitions, starts runs, answers queries, and after a
/// restart resumes every unfinished run from its recorded history. Each run is driven by its own
/// loop; step attempts go to agents as durable jobs through <see cref="IMeshClient"/>.
/// </summary>
public sealed partial class WorkflowEngine : IAsyncDisposable
{
    private readonly WorkflowRunStore _runs;
    private readonly WorkflowDefinitionStore _definitions;
    private readonly StepExecutor _executor;
    private readonly WorkflowEngineOptions _options;
    private readonly TimeProvider _time;
    private readonly IWorkflowSecretProtector? _protector;
    private readonly ILogger _logger;
    private readonly WorkflowRunWatchers _watchers = new();
    private readonly ConcurrentDictionary<string, ActiveRun> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WorkflowRunSummary> _summaries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ConditionalWeakTable<WorkflowDefinition, StrongBox<JsonElement>> _definitionJson = [];
    private volatile bool _started;

    internal WorkflowEngine(
        WorkflowRunStore runs,
        WorkflowDefinitionStore definitions,
        StepExecutor executor,
        IOptions<WorkflowEngineOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        IWorkflowSecretProtector? protector = null)
    {
        _protector = protector;
        _runs = runs;
        _definitions = definitions;
        _executor = executor;
        _options = options.Value;
        _time = time;
        _logger = loggers.CreateLogger<WorkflowEngine>();
    }

    /// <summary>The definitions this engine knows.</summary>
    public WorkflowDefinitionStore Definitions => _definitions;

    /// <summary>Runs that have not ended and are driven by this engine.</summary>
    public int ActiveRunCount => _active.Count;

    /// <summary>Raised when a run this engine drives ends (succeeded, failed, cancelled, compensated); handlers must not block.</summary>
    public event EventHandler<WorkflowRun>? RunFinished;

    // ---- lifecycle ----------------------------------------------------------------------------

    /// <summary>Loads definitions and the run index, and resumes every unfinished run. Called once at start.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_started)
            {
                return;
            }

            await _definitions.LoadAsync(cancellationToken).ConfigureAwait(false);
            var index = await _runs.LoadIndexAsync(cancellationToken).ConfigureAwait(false);
            var resumed = 0;
            foreach (var summary in index)
            {
                _summaries[summary.RunId] = summary;
                if (summary.FinishedAt is null)
                {
                    resumed += await ResumeAsync(summary, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                }
            }

            _started = true;
            Log.Started(_logger, index.Count, resumed);
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Stops driving runs (they resume at the next start); running jobs carry on on their agents.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_active.Values.Select(run => run.Loop)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout: the histories hold everything.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _startLock.Dispose();
    }

    // ---- definitions ----------------------------------------------------------------------------

    /// <summary>Registers a definition version; see <see cref="WorkflowDefinitionStore.RegisterAsync"/>.</summary>
    public async Task<bool> RegisterAsync(WorkflowDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ThrowIfStepTypesUnknown(definition);
        var added = await _definitions.RegisterAsync(definition, cancellationToken).ConfigureAwait(false);
        _executor.Types.AddFrom(definition);
        return added;
    }

    // ---- runs -------------------------------------------------------------------------------------

    /// <summary>Starts a run of a registered workflow (its latest version, or <paramref name="version"/>).</summary>
    /// <exception cref="WorkflowNotFoundException">No such workflow or version.</exception>
    public async Task<WorkflowRun> StartRunAsync(string workflow, JsonElement? parameters = null, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var definition = await _definitions.GetAsync(workflow, version, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException(version is { } v
                ? $"Workflow '{workflow}' has no version {v}."
                : $"No workflow named '{workflow}' is registered; register it first (orbitmesh workflows apply FILE, or POST /api/workflows).");
        return await StartCoreAsync(definition, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a run of a registered workflow with secrets: values its steps read as
    /// <c>${{ secrets.NAME }}</c> in their parameters. They are stored encrypted in the run's history,
    /// shown only by name, and reach only the jobs of the steps that read them, as secret parameters.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No such workflow or version.</exception>
    /// <exception cref="WorkflowValidationException">A secret is missing, unread or malformed, or a parameter is.</exception>
    public async Task<WorkflowRun> StartRunAsync(string workflow, JsonElement? parameters, IReadOnlyDictionary<string, string>? secrets, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        var definition = await _definitions.GetAsync(workflow, version, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException(version is { } v
                ? $"Workflow '{workflow}' has no version {v}."
                : $"No workflow named '{workflow}' is registered; register it first (orbitmesh workflows apply FILE, or POST /api/workflows).");
        return await StartCoreAsync(definition, parameters, cancellationToken, secrets: secrets).ConfigureAwait(false);
    }

    /// <summary>Registers <paramref name="definition"/> (when its version is new) and starts a run of it with secrets (see the overload by name).</summary>
    public async Task<WorkflowRun> StartRunAsync(WorkflowDefinition definition, JsonElement? parameters, IReadOnlyDictionary<string, string>? secrets, CancellationToken cancellationToken = default)
    {
        await RegisterAsync(definition, cancellationToken).ConfigureAwait(false);
        return await StartCoreAsync(definition, parameters, cancellationToken, secrets: secrets).ConfigureAwait(false);
    }

    /// <summary>Registers <paramref name="definition"/> (when its version is new) and starts a run of it.</summary>
    /// <exception cref="WorkflowValidationException">The definition is invalid.</exception>
    /// <exception cref="WorkflowVersionConflictException">Its version is registered with other content.</exception>
    public async Task<WorkflowRun> StartRunAsync(WorkflowDefinition definition, JsonElement? parameters = null, CancellationToken cancellationToken = default)
    {
        await RegisterAsync(definition, cancellationToken).ConfigureAwait(false);
        return await StartCoreAsync(definition, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until a run ends and returns it.</summary>
    public async Task<WorkflowRun> WaitForRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (_active.TryGetValue(runId, out var active))
        {
            await active.Loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (active.Runner.Snapshot.IsFinal)
            {
                return active.Runner.Snapshot;
            }
        }

        var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw UnknownRun(runId);
        if (!run.IsFinal)
        {
            // Not driven here (stopped engine): follow its events until it ends.
            await foreach (var _ in WatchRunAsync(runId, run.LastSequence, cancellationToken).ConfigureAwait(false))
            {
            }

            run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw UnknownRun(runId);
        }

        return run;
    }

    /// <summary>A run with each step's state, or null.</summary>
    public async Task<WorkflowRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (_active.TryGetValue(runId, out var active))
        {
            return active.Runner.Snapshot;
        }

        var state = await _runs.LoadStateAsync(runId, cancellationToken).ConfigureAwait(false);
        return state?.ToRun();
    }

    /// <summary>Runs, newest first.</summary>
    public Task<IReadOnlyList<WorkflowRunSummary>> ListRunsAsync(WorkflowRunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, 1000);
        IReadOnlyList<WorkflowRunSummary> list = [.. _summaries.Values
            .Select(summary => _active.TryGetValue(summary.RunId, out var active) ? summary with { Status = active.Runner.Snapshot.Status } : summary)
            .Where(summary => query.Workflow is null || string.Equals(summary.Workflow, query.Workflow, StringComparison.Ordinal))
            .Where(summary => query.Status is null || summary.Status == query.Status)
            .OrderByDescending(summary => summary.StartedAt)
            .ThenByDescending(summary => summary.RunId, StringComparer.Ordinal)
            .Take(limit)];
        return Task.FromResult(list);
    }

    /// <summary>
    /// A run's events after <paramref name="afterSequence"/> (0 for all): first those recorded, then the
    /// live ones, ending with <c>run.finished</c>. A client that reconnects passes the last sequence it saw.
    /// </summary>
    public async IAsyncEnumerable<WorkflowRunEvent> WatchRunAsync(string runId, long afterSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        using var subscription = _watchers.Subscribe(runId);
        var history = await _runs.LoadAsync(runId, afterSequence + 1, cancellationToken).ConfigureAwait(false);
        if (history.Count == 0 && afterSequence == 0)
        {
            throw UnknownRun(runId);
        }

        var last = afterSequence;
        foreach (var e in history)
        {
            last = e.Sequence;
            yield return e;
            if (e.Type == WorkflowRunEventTypes.RunFinished)
            {
                yield break;
            }
        }

        if (!_active.ContainsKey(runId) && (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false))?.IsFinal != false)
        {
            yield break;
        }

        await foreach (var e in subscription.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (e.Sequence <= last)
            {
                continue;
            }

            last = e.Sequence;
            yield return e;
            if (e.Type == WorkflowRunEventTypes.RunFinished)
            {
                yield break;
            }
        }
    }

    /// <summary>Pauses a run: no new step starts; running steps finish.</summary>
    public Task<WorkflowRun> PauseRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        ControlAsync(runId, WorkflowRunner.ControlKind.Pause, false, reason, cancellationToken);

    /// <summary>Resumes a paused run.</summary>
    public Task<WorkflowRun> ResumeRunAsync(string runId, CancellationToken cancellationToken = default) =>
        ControlAsync(runId, WorkflowRunner.ControlKind.Resume, false, null, cancellationToken);

    /// <summary>
    /// Cancels a run: running step jobs are cancelled on their agents, no step starts, and with
    /// <paramref name="compensate"/> the completed steps are compensated in reverse order.
    /// </summary>
    public Task<WorkflowRun> CancelRunAsync(string runId, bool compensate = false, string? reason = null, CancellationToken cancellationToken = default) =>
        ControlAsync(runId, WorkflowRunner.ControlKind.Cancel, compensate, reason, cancellationToken);

    private async Task<WorkflowRun> ControlAsync(string runId, WorkflowRunner.ControlKind kind, bool compensate, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (!_active.TryGetValue(runId, out var active))
        {
            var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw UnknownRun(runId);
            throw new WorkflowRunStateException($"Run '{runId}' has ended ({Describe(run.Status)}); it cannot be {Verb(kind)}.");
        }

        var refusal = await active.Runner.ControlAsync(kind, compensate, reason).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            throw new WorkflowRunStateException($"Run '{runId}' cannot be {Verb(kind)}: {refusal}.");
        }

        return active.Runner.Snapshot;
    }

    /// <summary>
    /// Starts an instance of a registered definition bound to one agent: its steps and compensations
    /// without a target of their own run there. For rollouts and per-agent runs.
    /// </summary>
    internal Task<WorkflowRun> StartBoundRunAsync(WorkflowDefinition definition, JsonElement? parameters, string agentId, CancellationToken cancellationToken) =>
        StartCoreAsync(definition, parameters, cancellationToken, agentId);

    /// <summary>
    /// Starts a run under an id the caller derived (a trigger's scheduled time, a webhook delivery),
    /// at most once: when a run with that id exists, here or started by another server on the same
    /// store, it is returned with <c>Started</c> false and nothing is started.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No such workflow or version.</exception>
    internal async Task<(WorkflowRun Run, bool Started)> StartRunOnceAsync(string runId, string workflow, int? version, JsonElement? parameters, CancellationToken cancellationToken)
    {
        if (await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return (existing, false);
        }

        var definition = await _definitions.GetAsync(workflow, version, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException(version is { } v
                ? $"Workflow '{workflow}' has no version {v}."
                : $"No workflow named '{workflow}' is registered.");
        try
        {
            return (await StartCoreAsync(definition, parameters, cancellationToken, runId: runId).ConfigureAwait(false), true);
        }
        catch (EventStoreConcurrencyException)
        {
            // Another server created the run between our look and our write.
            var run = await GetRunAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw UnknownRun(runId);
            return (run, false);
        }
    }

    private async Task<WorkflowRun> StartCoreAsync(WorkflowDefinition definition, JsonElement? parameters, CancellationToken cancellationToken, string? boundAgent = null, string? runId = null, IReadOnlyDictionary<string, string>? secrets = null)
    {
        if (!_started)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (parameters is { } p && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            throw new WorkflowValidationException(definition.Name, [new WorkflowValidationError(WorkflowErrorCodes.InvalidParameters, $"Run parameters must be a JSON object, not {p.ValueKind.ToString().ToLowerInvariant()}.")]);
        }

        var missing = (definition.RequiredParameters ?? [])
            .Where(name => parameters is not { ValueKind: JsonValueKind.Object } given || !given.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            .Select(name => new WorkflowValidationError(WorkflowErrorCodes.MissingParameter, $"The run needs the parameter '{name}'."))
            .ToList();
        missing.AddRange(WorkflowRunSecrets.Check(definition, secrets));
        if (missing.Count > 0)
        {
            throw new WorkflowValidationException(definition.Name, missing);
        }

        var sealedSecrets = Seal(definition.Name, secrets);

        if (_active.Count >= _options.MaxActiveRuns)
        {
            throw new MeshQueueFullException($"{_active.Count} workflow runs are active, the most this server allows (MaxActiveRuns); retry when some have ended.", TimeSpan.FromSeconds(5));
        }

        runId ??= MeshIds.New("wfr", _time);
        var now = _time.GetUtcNow();
        var started = new WorkflowRunEvent
        {
            Type = WorkflowRunEventTypes.RunStarted,
            Timestamp = now,
            Definition = _definitionJson.GetValue(definition, static d =>
            {
                using var json = JsonDocument.Parse(WorkflowJson.Serialize(d));
                return new StrongBox<JsonElement>(json.RootElement.Clone());
            }).Value,
            Parameters = parameters is { ValueKind: JsonValueKind.Object } obj ? obj.Clone() : null,
            CodeOnly = definition.HasCodeOnlyMembers,
            BoundAgent = boundAgent,
            SealedSecrets = sealedSecrets,
            SecretNames = sealedSecrets is null ? null : [.. secrets!.Keys.Order(StringComparer.Ordinal)],
        };

        var summary = new WorkflowRunSummary { RunId = runId, Workflow = definition.Name, Version = definition.Version, Status = WorkflowRunStatus.Running, StartedAt = now };
        // The index entry first, then the run's stream, created at version 0: that append is what
        // lets a derived id start once (a second entry for the same id is ignored by the index).
        await _runs.IndexCreatedAsync(summary, cancellationToken).ConfigureAwait(false);
        await _runs.AppendAsync(runId, 0, [started], cancellationToken).ConfigureAwait(false);
        _summaries[runId] = summary;
        var state = WorkflowRunState.Replay(runId, [started with { Sequence = 1 }]);
        var runner = Launch(state, definition, sealedSecrets is null ? null : new Dictionary<string, string>(secrets!, StringComparer.Ordinal));
        Log.RunStarted(_logger, runId, definition.Name, definition.Version);
        return runner.Snapshot;
    }

    private WorkflowRunner Launch(WorkflowRunState state, WorkflowDefinition definition, IReadOnlyDictionary<string, string>? secrets)
    {
        var runner = new WorkflowRunner(state, definition, _runs, _executor, _options, _time, _logger, (snapshot, events) =>
        {
            _watchers.Publish(snapshot.RunId, events);
        }, secrets);

        var loop = Task.Run(async () =>
        {
            await runner.RunAsync(_stopping.Token).ConfigureAwait(false);
            var snapshot = runner.Snapshot;
            if (snapshot.IsFinal && _summaries.TryGetValue(snapshot.RunId, out var summary))
            {
                _summaries[snapshot.RunId] = summary with { Status = snapshot.Status, FinishedAt = snapshot.FinishedAt };
            }

            _active.TryRemove(snapshot.RunId, out _);
            if (snapshot.IsFinal)
            {
                RaiseRunFinished(snapshot);
            }
        });

        _active[state.RunId] = new ActiveRun(runner, loop);
        return runner;
    }

    /// <summary>Every problem with a definition, as registering it would find them: validation and unregistered step types.</summary>
    public IReadOnlyList<WorkflowValidationError> Check(WorkflowDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        try
        {
            ThrowIfStepTypesUnknown(definition);
        }
        catch (WorkflowValidationException ex)
        {
            return [.. WorkflowValidator.Validate(definition), .. ex.Errors];
        }

        return WorkflowValidator.Validate(definition);
    }

    private void ThrowIfStepTypesUnknown(WorkflowDefinition definition)
    {
        var errors = new List<WorkflowValidationError>();
        void Check(string stepId, string? name, Type? clrType)
        {
            if (clrType is null && name is not null && !_executor.Types.TryGet(name, out _))
            {
                errors.Add(new WorkflowValidationError(WorkflowErrorCodes.UnknownStepType, $"The step type '{name}' is not registered on this server; register it with AddWorkflowStep<T>().", stepId));
            }
        }

        for (var i = 0; i < definition.Steps.Count; i++)
        {
            var step = definition.Steps[i];
            if (step.Kind == WorkflowStepKind.Class)
            {
                Check(step.Id, step.StepType, step.StepClrType);
            }

            if (step.Compensation is { Kind: WorkflowStepKind.Class } compensation)
            {
                Check(step.Id, compensation.StepType, compensation.StepClrType);
            }
        }

        if (definition.OnFailure is { Kind: WorkflowStepKind.Class } onFailure)
        {
            Check("onFailure", onFailure.StepType, onFailure.StepClrType);
        }

        if (errors.Count > 0)
        {
            throw new WorkflowValidationException(definition.Name, errors);
        }
    }

    private static WorkflowNotFoundException UnknownRun(string runId) => new($"No workflow run has the id '{runId}'.");

    private static string Describe(WorkflowRunStatus status) => WorkflowStatusNames.Of(status);

    private static string Verb(WorkflowRunner.ControlKind kind) => kind switch
    {
        WorkflowRunner.ControlKind.Pause => "paused",
        WorkflowRunner.ControlKind.Resume => "resumed",
        _ => "cancelled",
    };

    private void RaiseRunFinished(WorkflowRun run)
    {
        try
        {
            RunFinished?.Invoke(this, run);
        }
#pragma warning disable CA1031 // A subscriber's failure must not end the run's loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RunFinishedHandlerFailed(_logger, run.RunId, ex);
        }
    }

    private sealed record ActiveRun(WorkflowRunner Runner, Task Loop);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Workflow engine started: {Runs} runs known, {Resumed} unfinished runs resumed")]
        public static partial void Started(ILogger logger, int runs, int resumed);

        [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Workflow run {RunId} started ({Workflow} version {Version})")]
        public static partial void RunStarted(ILogger logger, string runId, string workflow, int version);

        [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Workflow run {RunId} cannot be resumed: {Reason}")]
        public static partial void ResumeRefused(ILogger logger, string runId, string reason);

        [LoggerMessage(EventId = 4013, Level = LogLevel.Error, Message = "A RunFinished handler threw for workflow run {RunId}")]
        public static partial void RunFinishedHandlerFailed(ILogger logger, string runId, Exception exception);
    }
}
