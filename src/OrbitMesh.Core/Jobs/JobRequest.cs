using System.Text.Json;

namespace OrbitMesh;

/// <summary>
/// A unit of work to execute on an agent.
/// </summary>
public sealed record JobRequest
{
    /// <summary>The job id; a new one when not given.</summary>
    public string Id { get; init; } = MeshIds.NewJobId();

    /// <summary>The command an agent handler is registered under.</summary>
    public required string Command { get; init; }

    /// <summary>The command's parameters as a JSON object, or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>Which agents may take the job; null for any ready agent with a handler for the command.</summary>
    public AgentTarget? Target { get; init; }

    /// <summary>How the job executes.</summary>
    public ExecutionPattern Pattern { get; init; } = ExecutionPattern.RequestResponse;

    /// <summary>A key that makes submission idempotent: the same key returns the same job.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>How long one attempt may run; null for the server's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The queue priority.</summary>
    public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>How many attempts in all before the job is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Ties the job to a larger run, such as a workflow instance.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>
    /// Top-level parameters that are secrets (passwords, keys): the server stores them encrypted
    /// (ASP.NET Core Data Protection), shows them as <c>"[redacted]"</c> in its API, events and logs,
    /// and decrypts them only into the assignment sent to the agent.
    /// </summary>
    public IReadOnlyList<string>? SecretParameters { get; init; }
}
