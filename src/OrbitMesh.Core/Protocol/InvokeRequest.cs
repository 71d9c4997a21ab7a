using System.Text.Json;

namespace OrbitMesh.Protocol;

/// <summary>
/// A communication-level call from the server to an agent (<see cref="IAgentClient.Invoke"/>): run the
/// handler registered for <see cref="Command"/> and return its result. No job record is kept.
/// </summary>
public sealed record InvokeRequest
{
    /// <summary>The command a handler is registered under.</summary>
    public required string Command { get; init; }

    /// <summary>Parameters as a JSON value (usually an object), or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>How long the handler may run, in milliseconds; the agent cancels it after that.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>An id that ties the call to a larger operation, for logs and traces.</summary>
    public string? CorrelationId { get; init; }
}
