namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Where a job would go now, and why every other known agent would not take it: the answer of a
/// targeting dry run (<c>orbitmesh jobs submit --dry-run</c>, <c>POST /api/jobs/dry-run</c>). Nothing
/// is submitted or reserved.
/// </summary>
/// <param name="Command">The command.</param>
/// <param name="Target">The target as given (null: any agent with a handler).</param>
/// <param name="WouldRun">Whether at least one agent would take it now.</param>
/// <param name="Eligible">The agents that would take it, best first (the first is where a job would go now).</param>
/// <param name="Excluded">The other known agents, each with why.</param>
/// <param name="Message">One sentence for people: where it would go, or why nowhere.</param>
public sealed record TargetingPlan(
    string Command,
    AgentTarget? Target,
    bool WouldRun,
    IReadOnlyList<EligibleAgent> Eligible,
    IReadOnlyList<ExcludedAgent> Excluded,
    string Message);

/// <summary>An agent that would take the job, with its present load.</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="JobsInFlight">Jobs assigned to it now.</param>
/// <param name="MaxConcurrentJobs">Its limit.</param>
/// <param name="Utilization">Its last reported load, 0 to 1.</param>
public sealed record EligibleAgent(string AgentId, int JobsInFlight, int MaxConcurrentJobs, double Utilization);

/// <summary>An agent that would not take the job.</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="Reason">
/// A code: <c>not_targeted</c>, <c>capability</c>, <c>group</c>, <c>not_connected</c>, <c>no_handler</c>,
/// <c>not_granted</c>, <c>unreachable</c>, <c>paused</c> (or another lifecycle that takes no work), <c>circuit_open</c>, <c>full</c>.
/// </param>
/// <param name="Detail">The reason in words.</param>
public sealed record ExcludedAgent(string AgentId, string Reason, string Detail);
