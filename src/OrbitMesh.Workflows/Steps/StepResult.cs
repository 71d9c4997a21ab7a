using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>The outcome of one attempt of a step or of a compensation.</summary>
public sealed record StepResult
{
    private StepResult(StepResultStatus status, JsonElement? output, string? reason, bool isRetryable)
    {
        Status = status;
        Output = output;
        Reason = reason;
        IsRetryable = isRetryable;
    }

    /// <summary>How the attempt ended.</summary>
    public StepResultStatus Status { get; }

    /// <summary>The step's output as JSON when it succeeded with one; null otherwise.</summary>
    public JsonElement? Output { get; }

    /// <summary>Why the step failed or was skipped, when known.</summary>
    public string? Reason { get; }

    /// <summary>True when a failure may go away on another attempt; false for successes and skips.</summary>
    public bool IsRetryable { get; }

    /// <summary>True when the step succeeded.</summary>
    public bool IsSuccess => Status == StepResultStatus.Succeeded;

    /// <summary>
    /// The step succeeded. <paramref name="output"/> is serialized with <see cref="OrbitMeshJson.Options"/>
    /// (camelCase) and later steps read it with <see cref="StepContext.GetOutput{T}(string)"/>.
    /// </summary>
    public static StepResult Success(object? output = null) =>
        new(StepResultStatus.Succeeded, OrbitMeshJson.ToElement(output), null, false);

    /// <summary>The step failed. A retryable failure is tried again while the step's retry policy allows.</summary>
    /// <param name="reason">Why, in words an operator understands; required.</param>
    /// <param name="retryable">False when another attempt cannot help (bad input, a refused change).</param>
    public static StepResult Failed(string reason, bool retryable = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new(StepResultStatus.Failed, null, reason, retryable);
    }

    /// <summary>The step had nothing to do. Later steps proceed; a skipped step is not compensated.</summary>
    public static StepResult Skipped(string? reason = null) =>
        new(StepResultStatus.Skipped, null, reason, false);
}
