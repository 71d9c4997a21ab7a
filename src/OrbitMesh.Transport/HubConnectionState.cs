namespace OrbitMesh.Transport;

/// <summary>
/// The state of a <see cref="HubConnection"/>.
/// </summary>
public enum HubConnectionState
{
    /// <summary>Not connected, and not trying to.</summary>
    Disconnected = 0,

    /// <summary>Connecting for the first time (<see cref="HubConnection.StartAsync"/>).</summary>
    Connecting = 1,

    /// <summary>Connected: the handshake completed.</summary>
    Connected = 2,

    /// <summary>The connection was lost and the reconnect policy is trying again.</summary>
    Reconnecting = 3,
}
