using System.Text.Json;

namespace OrbitMesh.Twins;

/// <summary>
/// An agent's twin, as Azure IoT Hub's device twins: the desired properties the server wants (set by
/// operators and applications) and the reported properties the agent states, each a JSON object with a
/// version. <see cref="AcknowledgedDesiredVersion"/> is the last desired version the agent confirmed it
/// applied; after a reconnect the server sends what changed since then.
/// </summary>
public sealed record AgentTwin
{
    /// <summary>The agent.</summary>
    public string AgentId { get; init; } = string.Empty;

    /// <summary>The desired properties.</summary>
    public JsonElement Desired { get; init; } = JsonMergePatch.EmptyObject;

    /// <summary>Increases with every desired change; what <c>If-Match</c> compares.</summary>
    public long DesiredVersion { get; init; }

    /// <summary>The reported properties.</summary>
    public JsonElement Reported { get; init; } = JsonMergePatch.EmptyObject;

    /// <summary>Increases with every report.</summary>
    public long ReportedVersion { get; init; }

    /// <summary>The last desired version the agent confirmed.</summary>
    public long AcknowledgedDesiredVersion { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
