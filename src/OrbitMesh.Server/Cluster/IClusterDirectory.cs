namespace OrbitMesh.Server.Cluster;

/// <summary>An agent connected to another server of the cluster, as that server last published it.</summary>
/// <param name="Agent">The agent as its server sees it (with <see cref="AgentInfo.Server"/> set).</param>
/// <param name="ConnectionId">Its connection on that server; the backplane delivers messages and client results to it.</param>
/// <param name="Granted">The capabilities its node was granted, when it is an enrolled node.</param>
internal sealed record RemoteAgent(AgentInfo Agent, string ConnectionId, IReadOnlyList<string>? Granted);

/// <summary>Where the agents of the other servers are. On a single server there are none.</summary>
internal interface IClusterDirectory
{
    /// <summary>This server's id in the cluster, or null on a single server.</summary>
    string? ServerId { get; }

    /// <summary>The other servers' agents as last read (refreshed every presence interval).</summary>
    IReadOnlyCollection<RemoteAgent> Remote { get; }

    /// <summary>False while the backplane cannot be reached (<see cref="Remote"/> is then stale); a single server is always reachable.</summary>
    bool Reachable { get; }

    /// <summary>An agent on another server: from the last read, else asked of the backplane now (it may have just connected).</summary>
    ValueTask<RemoteAgent?> FindAsync(string agentId, CancellationToken cancellationToken);
}

/// <summary>A server alone: no other servers, no remote agents.</summary>
internal sealed class SingleServerDirectory : IClusterDirectory
{
    public string? ServerId => null;

    public IReadOnlyCollection<RemoteAgent> Remote => [];

    public bool Reachable => true;

    public ValueTask<RemoteAgent?> FindAsync(string agentId, CancellationToken cancellationToken) => ValueTask.FromResult<RemoteAgent?>(null);
}
