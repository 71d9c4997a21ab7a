namespace OrbitMesh;

/// <summary>
/// The load an agent reports with each heartbeat.
/// </summary>
/// <param name="ActiveJobs">Jobs and invocations the agent is executing now.</param>
/// <param name="MaxConcurrentJobs">How many it executes at once at most.</param>
/// <param name="CpuPercent">Process CPU use over the last interval, 0 to 100 per core summed over cores divided by cores.</param>
/// <param name="WorkingSetBytes">The agent process's working set.</param>
public sealed record AgentLoad(int ActiveJobs, int MaxConcurrentJobs, double CpuPercent, long WorkingSetBytes)
{
    /// <summary>An idle agent with one slot.</summary>
    public static AgentLoad Idle { get; } = new(0, 1, 0, 0);

    /// <summary>
    /// The fraction of the agent's slots in use, from 0 (idle) to 1 (full); what least-loaded selection compares.
    /// </summary>
    public double Utilization => MaxConcurrentJobs <= 0 ? 1 : Math.Clamp((double)ActiveJobs / MaxConcurrentJobs, 0, 1);
}
