using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>The state of an agent's circuit breaker: an open circuit keeps the agent out of selection for a while.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentCircuitState>))]
public enum AgentCircuitState
{
    /// <summary>Calls flow normally.</summary>
    Closed = 0,

    /// <summary>Too many recent calls failed; the agent is not selected until the break ends.</summary>
    Open = 1,

    /// <summary>The break ended; the next call decides whether the circuit closes or opens again.</summary>
    HalfOpen = 2,
}
