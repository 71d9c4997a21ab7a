namespace OrbitMesh;

/// <summary>
/// The API applications use to drive the mesh: in-process on the server (from dependency injection)
/// or remotely through <c>OrbitMesh.Client</c>.
/// </summary>
public interface IMeshClient
{
    /// <summary>Every agent the server knows.</summary>
    Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default);

    /// <summary>One agent, or null when unknown.</summary>
    Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Communication level: runs <paramref name="command"/> on one agent and returns its result, without
    /// a job record. Throws <see cref="MeshInvocationException"/> when the agent is not connected, the
    /// handler fails, or the timeout elapses.
    /// </summary>
    /// <param name="agentId">The agent.</param>
    /// <param name="command">The command a handler is registered under on the agent.</param>
    /// <param name="parameters">Parameters, serialized to JSON; null for none.</param>
    /// <param name="timeout">How long to wait; the server's default when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    Task<T?> InvokeAsync<T>(string agentId, string command, object? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
