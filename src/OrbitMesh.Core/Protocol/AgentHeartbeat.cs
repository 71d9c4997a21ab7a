namespace OrbitMesh.Protocol;

/// <summary>
/// The load report an agent sends with <see cref="IServerHub.Heartbeat"/>.
/// </summary>
public sealed record AgentHeartbeat
{
    /// <summary>Jobs and invocations executing now.</summary>
    public int ActiveJobs { get; init; }

    /// <summary>The agent's concurrency limit.</summary>
    public int MaxConcurrentJobs { get; init; } = 1;

    /// <summary>Process CPU use since the last heartbeat, 0 to 100.</summary>
    public double CpuPercent { get; init; }

    /// <summary>The agent process's working set in bytes.</summary>
    public long WorkingSetBytes { get; init; }

    /// <summary>The jobs the agent holds; their leases are renewed.</summary>
    public IReadOnlyList<HeldJob>? Jobs { get; init; }

    /// <summary>The load as a model.</summary>
    public AgentLoad ToLoad() => new(Math.Max(0, ActiveJobs), Math.Max(1, MaxConcurrentJobs), Math.Clamp(CpuPercent, 0, 100), Math.Max(0, WorkingSetBytes));
}
