namespace OrbitMesh.Protocol;

/// <summary>
/// Sent by the server (<see cref="IAgentClient.Disconnect"/>) just before it closes an agent's connection.
/// </summary>
/// <param name="Code">Why: see <see cref="DisconnectCodes"/>.</param>
/// <param name="Reason">A human-readable reason.</param>
/// <param name="Reconnect">False when the agent must not reconnect on its own (for example, it was replaced).</param>
public sealed record DisconnectNotice(string Code, string Reason, bool Reconnect);

/// <summary>
/// The codes a <see cref="DisconnectNotice"/> carries.
/// </summary>
public static class DisconnectCodes
{
    /// <summary>Another connection registered with the same agent id.</summary>
    public const string Replaced = "replaced";

    /// <summary>The server is shutting down.</summary>
    public const string ServerShutdown = "server_shutdown";

    /// <summary>The agent did not register in time.</summary>
    public const string RegistrationTimeout = "registration_timeout";

    /// <summary>The agent's credentials were revoked.</summary>
    public const string Revoked = "revoked";
}
