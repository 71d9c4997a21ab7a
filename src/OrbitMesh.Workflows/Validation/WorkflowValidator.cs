using System.Text.Json;
using OrbitMesh.Protocol;

namespace OrbitMesh.Workflows;

/// <summary>
/// Checks a workflow definition, wherever it came from (the builder, JSON, a store), and returns
/// every problem at once so that an API can answer 400 with the full list. The rules and limits are
/// in docs/workflows.md and <see cref="WorkflowLimits"/>.
/// </summary>
public static class WorkflowValidator
{
    private const int MaxTypeNameLength = 1024;

    /// <summary>Every problem with <paramref name="definition"/>; empty when it is valid.</summary>
    public static IReadOnlyList<WorkflowValidationError> Validate(WorkflowDefinition? definition)
    {
        var errors = new List<WorkflowValidationError>();
        if (definition is null)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidJson, "The workflow definition is missing."));
            return errors;
        }

        CheckWorkflow(definition, errors);
        var steps = definition.Steps ?? [];
        var ids = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step is null)
            {
                errors.Add(new(WorkflowErrorCodes.InvalidStep, $"Step #{i + 1} is missing (null)."));
                continue;
            }

            if (!WorkflowIds.IsValid(step.Id))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidId, $"Step #{i + 1} has an invalid id {WorkflowIds.Quote(step.Id)}: {IdRule}", step.Id));
            }
            else
            {
                if (!ids.TryGetValue(step.Id, out var positions))
                {
                    ids[step.Id] = positions = [];
                }

                positions.Add(i + 1);
            }

            CheckStep(step, errors);
        }

        foreach (var (id, positions) in ids)
        {
            if (positions.Count > 1)
            {
                errors.Add(new(WorkflowErrorCodes.DuplicateId, $"Step id '{id}' is used by {positions.Count} steps (#{string.Join(", #", positions)}); step ids must be unique.", id));
            }
        }

        CheckDependencies(steps, ids, errors);
        WorkflowExpressionChecks.Check(definition, errors);
        CheckSize(definition, errors);
        return errors;
    }

    /// <summary>Throws when <paramref name="definition"/> is invalid.</summary>
    /// <exception cref="WorkflowValidationException">With every problem found.</exception>
    public static void ThrowIfInvalid(WorkflowDefinition? definition)
    {
        var errors = Validate(definition);
        if (errors.Count > 0)
        {
            throw new WorkflowValidationException(definition?.Name, errors);
        }
    }

    internal static string IdRule { get; } =
        $"ids are 1 to {WorkflowLimits.MaxIdLength} ASCII letters, digits, '-', '_' or '.', starting with a letter or digit.";

    private static void CheckWorkflow(WorkflowDefinition definition, List<WorkflowValidationError> errors)
    {
        if (!WorkflowIds.IsValid(definition.Name))
        {
            errors.Add(new(WorkflowErrorCodes.InvalidName, $"The workflow name {WorkflowIds.Quote(definition.Name)} is invalid: {IdRule}"));
        }

        if (definition.Version < 1)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidSetting, $"version must be 1 or more; it was {definition.Version}."));
        }

        foreach (var name in definition.RequiredParameters ?? [])
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > WorkflowLimits.MaxIdLength || name.Any(char.IsControl))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidSetting, $"requiredParameters holds '{name}', which is not a parameter name (1 to {WorkflowLimits.MaxIdLength} characters, no control characters)."));
            }
        }

        if (definition.MaxParallelism is { } parallelism and (< 1 or > WorkflowLimits.MaxParallelism))
        {
            errors.Add(new(WorkflowErrorCodes.InvalidSetting, $"maxParallelism must be between 1 and {WorkflowLimits.MaxParallelism:N0}; it was {parallelism}."));
        }

        CheckTimeout(definition.Timeout, WorkflowLimits.MaxWorkflowTimeout, "The workflow's timeout", null, errors);

        var count = definition.Steps?.Count ?? 0;
        if (count == 0)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidStep, "The workflow has no steps; it needs at least one."));
        }
        else if (count > WorkflowLimits.MaxSteps)
        {
            errors.Add(new(WorkflowErrorCodes.OverLimit, $"The workflow has {count:N0} steps; at most {WorkflowLimits.MaxSteps:N0} are allowed."));
        }

        if (definition.OnFailure is { } onFailure)
        {
            CheckCompensation(onFailure, "The workflow's onFailure", null, errors);
        }
    }

    private static void CheckStep(WorkflowStepDefinition step, List<WorkflowValidationError> errors)
    {
        var subject = $"Step {WorkflowIds.Quote(step.Id)}";
        CheckRunnable(step.Kind, step.Command, step.StepType, step.Target, step.Parameters, subject, step.Id, errors);
        if (step.FanOutPolicy is { } policy)
        {
            if (step.Kind != WorkflowStepKind.FanOut)
            {
                errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} has a fanOutPolicy, which only fan-out steps take.", step.Id));
            }
            else if (!Enum.IsDefined(policy))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} has an unknown fanOutPolicy {(int)policy}.", step.Id));
            }
        }

        if (step.Retry is { } retry)
        {
            CheckRetry(retry, subject, step.Id, errors);
        }

        CheckTimeout(step.Timeout, WorkflowLimits.MaxStepTimeout, $"{subject}'s timeout", step.Id, errors);
        if (step.Compensation is { } compensation)
        {
            CheckCompensation(compensation, $"{subject}'s compensation", step.Id, errors);
        }
    }

    private static void CheckCompensation(WorkflowCompensationDefinition compensation, string subject, string? stepId, List<WorkflowValidationError> errors)
    {
        CheckRunnable(compensation.Kind, compensation.Command, compensation.StepType, compensation.Target, compensation.Parameters, subject, stepId, errors);
        CheckTimeout(compensation.Timeout, WorkflowLimits.MaxStepTimeout, $"{subject}'s timeout", stepId, errors);
    }

    private static void CheckRunnable(
        WorkflowStepKind kind,
        string? command,
        string? stepType,
        AgentTarget? target,
        JsonElement? parameters,
        string subject,
        string? stepId,
        List<WorkflowValidationError> errors)
    {
        switch (kind)
        {
            case WorkflowStepKind.Command or WorkflowStepKind.FanOut:
                var what = kind == WorkflowStepKind.Command ? "a command step" : "a fan-out step";
                if (string.IsNullOrWhiteSpace(command))
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} is {what} without a command.", stepId));
                }
                else if (!RegistrationValidator.IsValidIdentifier(command))
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} has an invalid command {WorkflowIds.Quote(command)}: commands are 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters.", stepId));
                }

                if (stepType is not null)
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} is {what} but names a stepType; only class steps do.", stepId));
                }

                if (target is not null)
                {
                    CheckTarget(target, subject, stepId, errors);
                }

                break;
            case WorkflowStepKind.Class:
                if (string.IsNullOrWhiteSpace(stepType))
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} is a class step without a stepType.", stepId));
                }
                else if (stepType.Length > MaxTypeNameLength || stepType.Any(char.IsControl))
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} has an invalid stepType: at most {MaxTypeNameLength} characters without control characters.", stepId));
                }

                if (command is not null)
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} is a class step but names a command; only command and fan-out steps do.", stepId));
                }

                if (target is not null)
                {
                    errors.Add(new(WorkflowErrorCodes.InvalidTarget, $"{subject} is a class step, which runs on the server, but has a target; only command and fan-out steps run on agents.", stepId));
                }

                break;
            default:
                errors.Add(new(WorkflowErrorCodes.InvalidStep, $"{subject} has an unknown kind {(int)kind}; kinds are command, class and fanOut.", stepId));
                break;
        }

        if (parameters is { } value && value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidParameters, $"{subject} has parameters that are {Describe(value.ValueKind)}; parameters must be a JSON object.", stepId));
        }
    }

    private static void CheckTarget(AgentTarget target, string subject, string? stepId, List<WorkflowValidationError> errors)
    {
        var given = (target.AgentId is not null ? 1 : 0) + (target.Capability is not null ? 1 : 0) + (target.Group is not null ? 1 : 0);
        if (given > 1)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidTarget, $"{subject} has a target with more than one of agentId, capability and group; give one, or none for any agent.", stepId));
        }

        foreach (var (field, value) in new[] { ("agentId", target.AgentId), ("capability", target.Capability), ("group", target.Group) })
        {
            if (value is not null && !RegistrationValidator.IsValidIdentifier(value))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidTarget, $"{subject} has an invalid target {field} {WorkflowIds.Quote(value)}: 1 to {ProtocolLimits.MaxIdentifierLength} characters without control characters.", stepId));
            }
        }
    }

    private static void CheckRetry(WorkflowRetryPolicy retry, string subject, string stepId, List<WorkflowValidationError> errors)
    {
        if (retry.MaxAttempts is < 1 or > WorkflowLimits.MaxAttempts)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidRetry, $"{subject}'s retry.maxAttempts must be between 1 and {WorkflowLimits.MaxAttempts}; it was {retry.MaxAttempts}.", stepId));
        }

        if (retry.InitialBackoff < TimeSpan.Zero || retry.InitialBackoff > WorkflowLimits.MaxBackoff)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidRetry, $"{subject}'s retry.initialBackoff must be between 0 and {WorkflowLimits.MaxBackoff}; it was {retry.InitialBackoff}.", stepId));
        }

        if (retry.MaxBackoff < retry.InitialBackoff || retry.MaxBackoff > WorkflowLimits.MaxBackoff)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidRetry, $"{subject}'s retry.maxBackoff must be between initialBackoff ({retry.InitialBackoff}) and {WorkflowLimits.MaxBackoff}; it was {retry.MaxBackoff}.", stepId));
        }
    }

    private static void CheckTimeout(TimeSpan? timeout, TimeSpan limit, string subject, string? stepId, List<WorkflowValidationError> errors)
    {
        if (timeout is { } value && (value <= TimeSpan.Zero || value > limit))
        {
            errors.Add(new(WorkflowErrorCodes.InvalidTimeout, $"{subject} must be more than 0 and at most {limit}; it was {value}.", stepId));
        }
    }

    private static void CheckDependencies(IReadOnlyList<WorkflowStepDefinition> steps, Dictionary<string, List<int>> ids, List<WorkflowValidationError> errors)
    {
        var order = new List<string>(ids.Count);
        var known = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (step is null || !ids.ContainsKey(step.Id))
            {
                continue;
            }

            var dependencies = new List<string>();
            foreach (var dependency in step.DependsOn ?? [])
            {
                if (string.IsNullOrEmpty(dependency))
                {
                    errors.Add(new(WorkflowErrorCodes.UnknownDependency, $"Step '{step.Id}' has an empty entry in dependsOn.", step.Id));
                }
                else if (!ids.ContainsKey(dependency))
                {
                    errors.Add(new(WorkflowErrorCodes.UnknownDependency, $"Step '{step.Id}' depends on {WorkflowIds.Quote(dependency)}, which is not a step of the workflow.", step.Id));
                }
                else if (!dependencies.Contains(dependency, StringComparer.Ordinal))
                {
                    dependencies.Add(dependency);
                }
            }

            if (!known.ContainsKey(step.Id))
            {
                order.Add(step.Id);
                known[step.Id] = dependencies;
            }
        }

        foreach (var cycle in WorkflowCycleFinder.Find(order, known, WorkflowLimits.MaxReportedCycles))
        {
            var named = string.Join(" -> ", cycle);
            var message = cycle.Count == 2
                ? $"Step '{cycle[0]}' depends on itself ({named})."
                : $"The steps {named} form a cycle: each waits for the one before it, so none can start.";
            errors.Add(new(WorkflowErrorCodes.Cycle, message, cycle[0]));
        }
    }

    private static void CheckSize(WorkflowDefinition definition, List<WorkflowValidationError> errors)
    {
        if ((definition.Steps?.Count ?? 0) > WorkflowLimits.MaxSteps * 4)
        {
            return; // Already refused for its step count; serializing it would only cost time.
        }

        var bytes = WorkflowJson.SerializeToUtf8Bytes(definition).Length;
        if (bytes > WorkflowLimits.MaxDefinitionBytes)
        {
            errors.Add(new(WorkflowErrorCodes.OverLimit, $"The definition is {bytes:N0} bytes as JSON; at most {WorkflowLimits.MaxDefinitionBytes:N0} bytes (1 MiB) are allowed."));
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };
}
