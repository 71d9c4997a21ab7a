using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OrbitMesh.Workflows;

/// <summary>
/// What a step sees while it runs: the run's parameters, its own parameters from the definition, the
/// outputs of the steps that completed before it, a logger and the cancellation of the attempt. The
/// same type is handed to conditions (<see cref="WorkflowStepDefinition.Condition"/>) and to
/// compensations.
/// </summary>
public sealed class StepContext
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoOutputs = new Dictionary<string, JsonElement>();

    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The workflow's name.</summary>
    public required string WorkflowName { get; init; }

    /// <summary>The workflow's version.</summary>
    public int WorkflowVersion { get; init; } = 1;

    /// <summary>The id of the step that runs, or of the step being compensated.</summary>
    public required string StepId { get; init; }

    /// <summary>Which attempt this is, from 1.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>The parameters the run was started with (a JSON object), or null.</summary>
    public JsonElement? RunParameters { get; init; }

    /// <summary>The step's own parameters from its definition (a JSON object), or null.</summary>
    public JsonElement? StepParameters { get; init; }

    /// <summary>The output of every earlier step that succeeded with one, by step id.</summary>
    public IReadOnlyDictionary<string, JsonElement> Outputs { get; init; } = NoOutputs;

    /// <summary>A logger scoped to the run and the step.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>Signalled when the attempt times out or the run is cancelled; also passed to the step.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>The output of an earlier step as <typeparamref name="T"/>.</summary>
    /// <exception cref="KeyNotFoundException">The step has not produced an output.</exception>
    public T? GetOutput<T>(string stepId)
    {
        ArgumentNullException.ThrowIfNull(stepId);
        if (!Outputs.TryGetValue(stepId, out var output))
        {
            throw new KeyNotFoundException($"Step '{stepId}' has produced no output; completed steps with output: {Describe(Outputs.Keys)}.");
        }

        return output.Deserialize<T>(OrbitMeshJson.Options);
    }

    /// <summary>The output of an earlier step as <typeparamref name="T"/>, when it produced one.</summary>
    public bool TryGetOutput<T>(string stepId, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(stepId);
        if (Outputs.TryGetValue(stepId, out var output) && output.ValueKind != JsonValueKind.Null
            && output.Deserialize<T>(OrbitMeshJson.Options) is { } read)
        {
            value = read;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// A parameter by its top-level name: the step's own parameters first, then the run's. Names are
    /// matched exactly (JSON is case-sensitive).
    /// </summary>
    public bool TryGetParameter<T>(string name, [MaybeNullWhen(false)] out T value)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var parameters in (ReadOnlySpan<JsonElement?>)[StepParameters, RunParameters])
        {
            if (parameters is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(name, out var property)
                && property.ValueKind != JsonValueKind.Null && property.Deserialize<T>(OrbitMeshJson.Options) is { } read)
            {
                value = read;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string Describe(IEnumerable<string> ids)
    {
        var list = string.Join(", ", ids.Order(StringComparer.Ordinal));
        return list.Length == 0 ? "none" : list;
    }
}
