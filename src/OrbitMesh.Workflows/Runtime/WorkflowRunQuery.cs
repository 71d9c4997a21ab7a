namespace OrbitMesh.Workflows;

/// <summary>Which runs to list: newest first, optionally one workflow's or one status's.</summary>
public sealed record WorkflowRunQuery
{
    /// <summary>Only runs of this workflow.</summary>
    public string? Workflow { get; init; }

    /// <summary>Only runs in this status.</summary>
    public WorkflowRunStatus? Status { get; init; }

    /// <summary>At most this many (1 to 1,000; default 100).</summary>
    public int Limit { get; init; } = 100;
}
