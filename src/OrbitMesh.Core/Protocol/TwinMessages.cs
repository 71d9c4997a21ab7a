using System.Text.Json;

namespace OrbitMesh.Protocol;

/// <summary>
/// Server → agent (<see cref="IAgentClient.DesiredPropertiesChanged"/>): the desired properties at
/// <see cref="Version"/> (the whole document), and <see cref="Patch"/>, what changed since the version
/// the agent last acknowledged. The agent applies the document and acknowledges the version.
/// </summary>
public sealed record TwinDesired
{
    /// <summary>The desired version.</summary>
    public long Version { get; init; }

    /// <summary>The whole desired document (a JSON object).</summary>
    public JsonElement Desired { get; init; }

    /// <summary>A JSON merge patch from the agent's acknowledged version to this one.</summary>
    public JsonElement Patch { get; init; }

    /// <summary>The version the patch starts from.</summary>
    public long FromVersion { get; init; }
}

/// <summary>Agent → server: the agent applied the desired properties up to this version.</summary>
/// <param name="Version">The desired version applied.</param>
public sealed record TwinAck(long Version);

/// <summary>Agent → server: a JSON merge patch of the agent's reported properties.</summary>
/// <param name="Patch">The patch (a JSON object).</param>
public sealed record TwinReport(JsonElement Patch);

/// <summary>The server's answer to a report: the reported version it produced.</summary>
/// <param name="Version">The new reported version.</param>
public sealed record TwinReportResult(long Version);

/// <summary>Agent → server: a lifecycle change the agent itself decides (draining, faulted, recovered).</summary>
/// <param name="Status"><see cref="AgentStatus.Stopping"/>, <see cref="AgentStatus.Faulted"/> or <see cref="AgentStatus.Ready"/> (recovered).</param>
/// <param name="Reason">Why, for people.</param>
public sealed record AgentStatusReport(AgentStatus Status, string? Reason);
