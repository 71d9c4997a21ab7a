using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// Something that happened in the mesh, as event triggers see it: an agent connected, a job or a
/// run ended, or a custom event an operator or a program posted to <c>POST /api/events</c>.
/// </summary>
public sealed record MeshEvent
{
    /// <summary>The event's id; a trigger starts at most one run per event id.</summary>
    public string Id { get; init; } = MeshIds.New("evt");

    /// <summary>The event type, such as <c>job.failed</c> or <c>deploy.requested</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Who or what raised it: <c>server</c> for the built-in events, the caller's name for posted ones.</summary>
    public string? Source { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>What it carries (a JSON object); a run it starts gets these members as parameters.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>
    /// How many triggered runs led to this event (0 when none did). A run started by an event of depth
    /// <c>d</c> has depth <c>d + 1</c>, and its own end event carries that depth, so that a trigger
    /// that reacts to workflows ending cannot start runs forever.
    /// </summary>
    public int Depth { get; init; }
}

/// <summary>The built-in event types; a posted event may not use them (nor their prefixes).</summary>
public static class MeshEventTypes
{
    /// <summary>An agent registered.</summary>
    public const string AgentConnected = "agent.connected";

    /// <summary>A registered agent's connection closed.</summary>
    public const string AgentDisconnected = "agent.disconnected";

    /// <summary>A job completed.</summary>
    public const string JobCompleted = "job.completed";

    /// <summary>A job ended without completing (failed, dead-lettered, timed out or cancelled).</summary>
    public const string JobFailed = "job.failed";

    /// <summary>A workflow run succeeded.</summary>
    public const string WorkflowCompleted = "workflow.completed";

    /// <summary>A workflow run ended otherwise (failed, cancelled, compensated, timed out).</summary>
    public const string WorkflowFailed = "workflow.failed";

    /// <summary>The prefixes only the server raises.</summary>
    public static IReadOnlyList<string> ReservedPrefixes { get; } = ["agent.", "job.", "workflow.", "trigger.", "orbitmesh."];

    /// <summary>Whether a posted event may not use the type.</summary>
    public static bool IsReserved(string type) =>
        ReservedPrefixes.Any(prefix => type.StartsWith(prefix, StringComparison.Ordinal));
}
