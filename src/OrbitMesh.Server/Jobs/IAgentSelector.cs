namespace OrbitMesh.Server.Jobs;

/// <summary>An agent that can take a job, with how busy the server knows it to be.</summary>
/// <param name="Agent">The agent.</param>
/// <param name="InFlight">Jobs the server has assigned to it and that are not finished.</param>
/// <param name="MaxConcurrentJobs">Its limit.</param>
public sealed record AgentCandidate(AgentInfo Agent, int InFlight, int MaxConcurrentJobs)
{
    /// <summary>Assigned jobs over the limit, 0 (idle) to 1 (full).</summary>
    public double Utilization => MaxConcurrentJobs <= 0 ? 1 : Math.Clamp((double)InFlight / MaxConcurrentJobs, 0, 1);
}

/// <summary>
/// Chooses among the agents that can take a job. The dispatcher has already filtered them (connected,
/// Ready, not paused, matching the target, with a handler for the command, not refused for this job,
/// circuit not open); the selector ranks them, best first, and the dispatcher takes the first one with
/// a free slot. Register an implementation in DI to replace the default
/// (<see cref="LeastLoadedAgentSelector"/>).
/// </summary>
public interface IAgentSelector
{
    /// <summary>The candidates in order of preference. An empty sequence keeps the job waiting.</summary>
    IEnumerable<AgentCandidate> Rank(JobRecord job, IReadOnlyList<AgentCandidate> candidates);
}

/// <summary>
/// The default selector: the agent with the lowest share of its slots in use (as the server assigned
/// them), then the lowest load from its heartbeats; ties are broken at random so equal agents share the work.
/// </summary>
public sealed class LeastLoadedAgentSelector : IAgentSelector
{
    /// <inheritdoc />
    public IEnumerable<AgentCandidate> Rank(JobRecord job, IReadOnlyList<AgentCandidate> candidates) =>
        candidates
            .Select(c => (Candidate: c, Tie: Random.Shared.Next()))
            .OrderBy(c => c.Candidate.Utilization)
            .ThenBy(c => c.Candidate.Agent.Load?.Utilization ?? 0)
            .ThenBy(c => c.Tie)
            .Select(c => c.Candidate);
}
