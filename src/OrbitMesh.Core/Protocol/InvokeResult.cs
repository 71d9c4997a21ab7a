using System.Text.Json;

namespace OrbitMesh.Protocol;

/// <summary>
/// An agent's answer to <see cref="IAgentClient.Invoke"/>: a result, or an error. Handler failures
/// travel as an error here rather than as a SignalR completion error, so their code and type survive.
/// </summary>
public sealed record InvokeResult
{
    /// <summary>True when the handler returned a result.</summary>
    public bool Success { get; init; }

    /// <summary>The handler's result, when it succeeded.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why it failed, when it did.</summary>
    public JobError? Error { get; init; }

    /// <summary>A successful result.</summary>
    public static InvokeResult Ok(JsonElement? result) => new() { Success = true, Result = result };

    /// <summary>A failed result.</summary>
    public static InvokeResult Fail(JobError error) => new() { Success = false, Error = error };
}
