using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>
/// The lifecycle status of an agent as the server sees it.
/// </summary>
/// <remarks>
/// <see cref="Created"/> to <see cref="Faulted"/> are the lifecycle states of the agent itself.
/// <see cref="Unreachable"/> and <see cref="Disconnected"/> describe the server's view of the
/// connection: a connected agent that missed its heartbeats, and an agent with no connection.
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<AgentStatus>))]
public enum AgentStatus
{
    /// <summary>Known to the server, never initialized.</summary>
    Created = 0,

    /// <summary>Connected and registering.</summary>
    Initializing = 1,

    /// <summary>Connected, registered and accepting work.</summary>
    Ready = 2,

    /// <summary>Connected and executing work.</summary>
    Running = 3,

    /// <summary>Connected but takes no new work until resumed.</summary>
    Paused = 4,

    /// <summary>Draining in-flight work before it stops.</summary>
    Stopping = 5,

    /// <summary>Stopped on purpose.</summary>
    Stopped = 6,

    /// <summary>Failed; needs recovery.</summary>
    Faulted = 7,

    /// <summary>Connected, but it missed the configured number of heartbeats.</summary>
    Unreachable = 8,

    /// <summary>No live connection.</summary>
    Disconnected = 9,
}
