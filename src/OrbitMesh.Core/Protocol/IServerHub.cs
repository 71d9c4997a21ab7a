namespace OrbitMesh.Protocol;

/// <summary>
/// The methods an agent calls on the server's hub at <see cref="HubMethodNames.HubPath"/>.
/// </summary>
public interface IServerHub
{
    /// <summary>
    /// Registers this connection as an agent. Must be the first call after the handshake; every other
    /// call fails until it succeeds. Registering an id that is already connected replaces that
    /// connection, which is told why and closed.
    /// </summary>
    Task<RegistrationResult> Register(AgentRegistration registration);

    /// <summary>Reports load and proves liveness. Returns when to send the next one.</summary>
    Task<HeartbeatAck> Heartbeat(AgentHeartbeat heartbeat);
}
