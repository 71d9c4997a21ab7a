namespace OrbitMesh.Protocol;

/// <summary>
/// The methods the server calls on a connected agent.
/// </summary>
public interface IAgentClient
{
    /// <summary>
    /// Runs a command and returns its result (a SignalR client result: the server awaits the agent's completion).
    /// </summary>
    Task<InvokeResult> Invoke(InvokeRequest request, CancellationToken cancellationToken);

    /// <summary>The server is about to close the connection, and says why.</summary>
    Task Disconnect(DisconnectNotice notice);
}
