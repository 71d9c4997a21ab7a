namespace OrbitMesh;

/// <summary>One agent's outcome in a fan-out.</summary>
/// <param name="AgentId">The agent.</param>
/// <param name="Result">How its job ended.</param>
public sealed record AgentJobResult(string AgentId, JobResult Result)
{
    /// <summary>True when the agent's job completed.</summary>
    public bool IsSuccess => Result.IsSuccess;
}

/// <summary>The outcome of a rolling execution.</summary>
public sealed record RollingResult
{
    /// <summary>The batches that ran, in order, each with one result per agent.</summary>
    public required IReadOnlyList<IReadOnlyList<AgentJobResult>> Batches { get; init; }

    /// <summary>Agents that were not run because an earlier batch failed.</summary>
    public IReadOnlyList<string> SkippedAgents { get; init; } = [];

    /// <summary>True when every batch ran and every agent succeeded.</summary>
    public bool Completed { get; init; }
}
