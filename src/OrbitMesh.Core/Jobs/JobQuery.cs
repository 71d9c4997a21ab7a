namespace OrbitMesh;

/// <summary>Filters for listing jobs; newest first.</summary>
public sealed record JobQuery
{
    /// <summary>Only jobs in this status.</summary>
    public JobStatus? Status { get; init; }

    /// <summary>Only jobs for this command.</summary>
    public string? Command { get; init; }

    /// <summary>Only jobs last held by this agent.</summary>
    public string? AgentId { get; init; }

    /// <summary>Only jobs with this correlation id.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>At most this many (1 to 1000). Default 100.</summary>
    public int Limit { get; init; } = 100;
}
