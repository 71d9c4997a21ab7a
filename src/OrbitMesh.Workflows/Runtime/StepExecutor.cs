using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>What the engine knows of a run when it executes one of its steps.</summary>
internal sealed record RunContext(string RunId, WorkflowDefinition Definition, JsonElement? Parameters, IReadOnlyDictionary<string, JsonElement> Outputs, string? BoundAgent = null, IReadOnlyDictionary<string, string>? Statuses = null, IReadOnlyDictionary<string, string>? Secrets = null)
{
    private static readonly IReadOnlyDictionary<string, string> NoSecrets = new Dictionary<string, string>();

    /// <summary>
    /// What the run's expressions may read; the run's secrets only with <paramref name="withSecrets"/>
    /// (templates in parameters), never in conditions.
    /// </summary>
    public ExpressionScope Scope(bool withSecrets = false) => new()
    {
        Secrets = withSecrets ? Secrets ?? NoSecrets : null,
        Parameters = Parameters,
        Outputs = Outputs,
        Statuses = Statuses ?? new Dictionary<string, string>(),
        RunId = RunId,
        Workflow = Definition.Name,
        Version = Definition.Version,
    };

    /// <summary>
    /// Parameters with their <c>${{ }}</c> templates rendered over the run (docs/workflows.md,
    /// Expressions). A template that fails throws <see cref="WorkflowExpressionException"/>, which
    /// fails the attempt for good: the same inputs would fail again.
    /// </summary>
    public JsonElement? Render(JsonElement? parameters) => ExpressionTemplate.Render(parameters, Scope(withSecrets: true));

    /// <summary>A step's own target, or for an instance bound to an agent, that agent.</summary>
    public AgentTarget? TargetFor(AgentTarget? own) => own ?? (BoundAgent is { } agent ? AgentTarget.ForAgent(agent) : null);
}

/// <summary>What a step's or compensation's job runs: the command, its rendered parameters, the top-level ones that carry a secret, and its target.</summary>
internal sealed record JobParts(string Command, JsonElement? Parameters, IReadOnlyList<string>? SecretKeys, AgentTarget? Target);

/// <summary>The result of one attempt, and the job that ran it when it ran on an agent.</summary>
internal sealed record StepOutcome(StepResult Result, string? JobId);

/// <summary>
/// Runs one attempt of a step, or one compensation: a command as a durable job through
/// <see cref="IMeshClient"/> (idempotency key <c>{runId}:{stepId}:{attempt}</c>, so an attempt resumed
/// after a crash attaches to its job instead of starting another), a class activated from dependency
/// injection, or a command on every agent of a target.
/// </summary>
internal sealed class StepExecutor(
    IMeshClient mesh,
    IServiceScopeFactory scopes,
    WorkflowStepTypes types,
    WorkflowEngineOptions options,
    ILoggerFactory loggers)
{
    private static readonly HashSet<string> PermanentCodes = new(StringComparer.Ordinal)
    {
        MeshErrorCodes.UnknownCommand, MeshErrorCodes.InvalidParameters, MeshErrorCodes.BadRequest, MeshErrorCodes.NotAllowed,
    };

    /// <summary>The step classes this server may activate.</summary>
    public WorkflowStepTypes Types => types;

    /// <summary>The idempotency key of a step attempt's job.</summary>
    public static string AttemptKey(string runId, string stepId, int attempt) => $"{runId}:{stepId}:{attempt}";

    /// <summary>The idempotency key of a step's compensation job.</summary>
    public static string CompensationKey(string runId, string stepId) => $"{runId}:{stepId}:compensate";

    /// <summary>Runs one attempt of a step; the outcome never holds one of the run's secret values (they are replaced before it is recorded).</summary>
    public async Task<StepOutcome> RunStepAsync(RunContext run, WorkflowStepDefinition step, int attempt, CancellationToken cancellationToken) =>
        RedactSecrets(run, await RunStepCoreAsync(run, step, attempt, cancellationToken).ConfigureAwait(false));

    /// <summary>Runs a compensation (or onFailure); the outcome never holds one of the run's secret values.</summary>
    public async Task<StepOutcome> RunCompensationAsync(RunContext run, WorkflowCompensationDefinition compensation, string stepId, CancellationToken cancellationToken) =>
        RedactSecrets(run, await RunCompensationCoreAsync(run, compensation, stepId, cancellationToken).ConfigureAwait(false));

    private async Task<StepOutcome> RunStepCoreAsync(RunContext run, WorkflowStepDefinition step, int attempt, CancellationToken cancellationToken)
    {
        var timeout = step.Timeout ?? options.DefaultStepTimeout;
        try
        {
            var parameters = run.Render(step.Parameters);
            var context = Context(run, step.Id, attempt, parameters, cancellationToken);
            return step.Kind switch
            {
                WorkflowStepKind.Command => await RunCommandAsync(run, new JobParts(step.Command!, parameters, WorkflowRunSecrets.SecretKeysOf(step.Parameters), step.Target), AttemptKey(run.RunId, step.Id, attempt), timeout, cancellationToken).ConfigureAwait(false),
                WorkflowStepKind.FanOut => await RunFanOutAsync(run, new JobParts(step.Command!, parameters, WorkflowRunSecrets.SecretKeysOf(step.Parameters), step.Target), AttemptKey(run.RunId, step.Id, attempt), timeout, step.FanOutPolicy ?? FanOutFailurePolicy.FailOnAny, cancellationToken).ConfigureAwait(false),
                _ => new StepOutcome(await RunClassAsync(step, context, timeout, cancellationToken).ConfigureAwait(false), null),
            };
        }
        catch (WorkflowExpressionException ex)
        {
            return new StepOutcome(StepResult.Failed(ex.Message, retryable: false), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            return new StepOutcome(StepResult.Failed($"{ex.GetType().Name}: {ex.Message}"), null);
        }
    }

    private async Task<StepOutcome> RunCompensationCoreAsync(RunContext run, WorkflowCompensationDefinition compensation, string stepId, CancellationToken cancellationToken)
    {
        var timeout = compensation.Timeout ?? options.DefaultCompensationTimeout;
        var key = CompensationKey(run.RunId, stepId);
        try
        {
            var parameters = run.Render(compensation.Parameters);
            switch (compensation.Kind)
            {
                case WorkflowStepKind.Command:
                    return await RunCommandAsync(run, new JobParts(compensation.Command!, parameters, WorkflowRunSecrets.SecretKeysOf(compensation.Parameters), compensation.Target), key, timeout, cancellationToken).ConfigureAwait(false);
                case WorkflowStepKind.FanOut:
                    return await RunFanOutAsync(run, new JobParts(compensation.Command!, parameters, WorkflowRunSecrets.SecretKeysOf(compensation.Parameters), compensation.Target), key, timeout, FanOutFailurePolicy.FailOnAny, cancellationToken).ConfigureAwait(false);
                default:
                    var type = Resolve(compensation.StepType, compensation.StepClrType);
                    using (var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                    {
                        cts.CancelAfter(timeout);
                        var scope = scopes.CreateAsyncScope();
                        await using var scopeDisposal = scope.ConfigureAwait(false);
                        var instance = (ICompensationStep)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
                        try
                        {
                            var result = await instance.CompensateAsync(Context(run, stepId, 1, parameters, cts.Token), cts.Token).ConfigureAwait(false);
                            return new StepOutcome(result, null);
                        }
                        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && cts.IsCancellationRequested)
                        {
                            return new StepOutcome(StepResult.Failed($"timed out after {Describe(timeout)}"), null);
                        }
                    }
            }
        }
        catch (WorkflowExpressionException ex)
        {
            return new StepOutcome(StepResult.Failed(ex.Message, retryable: false), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            return new StepOutcome(StepResult.Failed($"{ex.GetType().Name}: {ex.Message}"), null);
        }
    }

    /// <summary>The run's parameters overlaid with the step's own: a step parameter wins over a run parameter of the same name.</summary>
    public static JsonElement? MergeParameters(JsonElement? runParameters, JsonElement? stepParameters)
    {
        if (runParameters is not { ValueKind: JsonValueKind.Object } run)
        {
            return stepParameters;
        }

        if (stepParameters is not { ValueKind: JsonValueKind.Object } step)
        {
            return run;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in run.EnumerateObject())
            {
                if (!step.TryGetProperty(property.Name, out _))
                {
                    property.WriteTo(writer);
                }
            }

            foreach (var property in step.EnumerateObject())
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The job of one attempt or compensation: one attempt of its own (the workflow retries), keyed and
    /// correlated to the run. The top-level parameters whose templates read a secret are its
    /// <see cref="JobRequest.SecretParameters"/>: the server stores them encrypted and shows them
    /// redacted, and only the agent's assignment carries them in clear. The run's secrets are not run
    /// parameters, so no other step's job gets them.
    /// </summary>
    private static JobRequest Request(RunContext run, JobParts job, string key, TimeSpan timeout) => new()
    {
        Command = job.Command,
        Parameters = MergeParameters(run.Parameters, job.Parameters),
        SecretParameters = job.SecretKeys,
        Target = run.TargetFor(job.Target),
        IdempotencyKey = key,
        CorrelationId = run.RunId,
        Timeout = timeout,
        MaxAttempts = 1,
    };

    /// <summary>
    /// The outcome with the run's secret values replaced (a class step that echoes one, an exception
    /// message), so that none is recorded in the run's events. Job results are already redacted by the server.
    /// </summary>
    private static StepOutcome RedactSecrets(RunContext run, StepOutcome outcome) =>
        run.Secrets is { Count: > 0 } secrets ? outcome with { Result = SecretText.Redact(outcome.Result, secrets.Values) } : outcome;

    private async Task<StepOutcome> RunCommandAsync(RunContext run, JobParts job, string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var result = await mesh.ExecuteAsync(Request(run, job, key, timeout), cancellationToken).ConfigureAwait(false);
        return new StepOutcome(ToStepResult(result), result.JobId);
    }

    private async Task<StepOutcome> RunFanOutAsync(RunContext run, JobParts job, string key, TimeSpan timeout, FanOutFailurePolicy policy, CancellationToken cancellationToken)
    {
        var command = job.Command;
        var results = await mesh.ExecuteOnAllAsync(Request(run, job, key, timeout), cancellationToken).ConfigureAwait(false);
        var output = results.Select(r => new FanOutAgentResult(r.AgentId, r.Result.Status, r.Result.JobId, r.Result.Result, r.Result.Error?.Message)).ToList();
        var failed = output.Where(r => r.Status != JobStatus.Completed).ToList();
        var firstJob = results.Count > 0 ? results[0].Result.JobId : null;
        var succeeded = policy switch
        {
            _ when results.Count == 0 => false,
            FanOutFailurePolicy.IgnoreFailures => true,
            FanOutFailurePolicy.AllowPartial => failed.Count < results.Count,
            _ => failed.Count == 0,
        };

        if (succeeded)
        {
            return new StepOutcome(StepResult.Success(output), firstJob);
        }

        var reason = results.Count == 0
            ? $"no agent matches the target of '{command}'"
            : $"{failed.Count} of {results.Count} agents failed ({string.Join("; ", failed.Take(5).Select(f => $"{f.AgentId}: {f.Error ?? f.Status.ToString()}"))})";
        return new StepOutcome(StepResult.Failed(reason), firstJob);
    }

    private async Task<StepResult> RunClassAsync(WorkflowStepDefinition step, StepContext context, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var type = Resolve(step.StepType, step.StepClrType);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        var scope = scopes.CreateAsyncScope();
        await using var scopeDisposal = scope.ConfigureAwait(false);
        var instance = (IWorkflowStep)ActivatorUtilities.CreateInstance(scope.ServiceProvider, type);
        step.Configure?.Invoke(instance);
        try
        {
            var withToken = new StepContext
            {
                RunId = context.RunId,
                WorkflowName = context.WorkflowName,
                WorkflowVersion = context.WorkflowVersion,
                StepId = context.StepId,
                Attempt = context.Attempt,
                RunParameters = context.RunParameters,
                StepParameters = context.StepParameters,
                Outputs = context.Outputs,
                Logger = context.Logger,
                CancellationToken = cts.Token,
            };
            return await instance.ExecuteAsync(withToken, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && cts.IsCancellationRequested)
        {
            return StepResult.Failed($"timed out after {Describe(timeout)}");
        }
    }

    private Type Resolve(string? name, Type? clrType)
    {
        if (clrType is not null)
        {
            return clrType;
        }

        if (name is not null && types.TryGet(name, out var type))
        {
            return type;
        }

        var known = types.Names;
        throw new InvalidOperationException($"The step type '{name}' is not registered on this server (registered: {(known.Count == 0 ? "none" : string.Join(", ", known))}); register it with AddWorkflowStep<T>().");
    }

    private StepContext Context(RunContext run, string stepId, int attempt, JsonElement? stepParameters, CancellationToken cancellationToken) => new()
    {
        RunId = run.RunId,
        WorkflowName = run.Definition.Name,
        WorkflowVersion = run.Definition.Version,
        StepId = stepId,
        Attempt = attempt,
        RunParameters = run.Parameters,
        StepParameters = stepParameters,
        Outputs = run.Outputs,
        Logger = loggers.CreateLogger($"OrbitMesh.Workflows.Step.{stepId}"),
        CancellationToken = cancellationToken,
    };

    private static StepResult ToStepResult(JobResult result)
    {
        if (result.IsSuccess)
        {
            return StepResult.Success(result.Result);
        }

        var code = result.Error?.Code ?? result.Status.ToString();
        var reason = result.Error is { } error
            ? $"job {result.JobId} {result.Status.ToString().ToLowerInvariant()}: {error.Code}: {error.Message}"
            : $"job {result.JobId} ended {result.Status.ToString().ToLowerInvariant()}";
        return StepResult.Failed(reason, retryable: !PermanentCodes.Contains(code));
    }

    internal static string Describe(TimeSpan span) =>
        span.TotalSeconds < 120 ? $"{span.TotalSeconds:0.###} s" : span.TotalMinutes < 120 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalHours:0.#} h";
}
