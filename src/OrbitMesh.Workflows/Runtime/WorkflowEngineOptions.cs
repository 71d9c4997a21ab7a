namespace OrbitMesh.Workflows;

/// <summary>The workflow engine's defaults, validated at start (<c>AddOrbitMeshWorkflows</c>).</summary>
public sealed class WorkflowEngineOptions
{
    /// <summary>How long one step attempt may run when its definition sets no timeout. Default five minutes.</summary>
    public TimeSpan DefaultStepTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a compensation may run when its definition sets no timeout. Default five minutes.</summary>
    public TimeSpan DefaultCompensationTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many steps of one run may run at once when its definition does not say. Default 16.</summary>
    public int DefaultMaxParallelism { get; set; } = 16;

    /// <summary>How many runs may be active (not final) at once; starting more is refused. Default 10,000.</summary>
    public int MaxActiveRuns { get; set; } = 10_000;

    /// <summary>The problems with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DefaultStepTimeout <= TimeSpan.Zero || DefaultStepTimeout > WorkflowLimits.MaxStepTimeout)
        {
            errors.Add($"DefaultStepTimeout must be above zero and at most {WorkflowLimits.MaxStepTimeout.TotalDays} days; it is {DefaultStepTimeout}.");
        }

        if (DefaultCompensationTimeout <= TimeSpan.Zero || DefaultCompensationTimeout > WorkflowLimits.MaxStepTimeout)
        {
            errors.Add($"DefaultCompensationTimeout must be above zero and at most {WorkflowLimits.MaxStepTimeout.TotalDays} days; it is {DefaultCompensationTimeout}.");
        }

        if (DefaultMaxParallelism is < 1 or > WorkflowLimits.MaxParallelism)
        {
            errors.Add($"DefaultMaxParallelism must be between 1 and {WorkflowLimits.MaxParallelism}; it is {DefaultMaxParallelism}.");
        }

        if (MaxActiveRuns < 1)
        {
            errors.Add($"MaxActiveRuns must be at least 1; it is {MaxActiveRuns}.");
        }

        return errors;
    }
}
