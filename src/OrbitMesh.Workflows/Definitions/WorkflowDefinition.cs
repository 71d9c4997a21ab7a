using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// A workflow: a named, versioned graph of steps. Plain data, built with <see cref="WorkflowBuilder"/>
/// or read from JSON with <see cref="WorkflowJson"/>, and checked by <see cref="WorkflowValidator"/>.
/// </summary>
public sealed record WorkflowDefinition
{
    /// <summary>The workflow's name, following the same rules as a step id.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The definition's version, from 1. Runs keep the version they started with.</summary>
    public int Version { get; init; } = 1;

    /// <summary>A description for people; not interpreted.</summary>
    public string? Description { get; init; }

    /// <summary>How long a whole run may take; null for no limit beyond the steps' own.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How many steps of one run may run at once; null for the runtime's default.</summary>
    public int? MaxParallelism { get; init; }

    /// <summary>Top-level run parameters every run must be started with (non-null); empty for none.</summary>
    public IReadOnlyList<string> RequiredParameters { get; init; } = [];

    /// <summary>The steps, in declaration order (the order ties are broken in).</summary>
    public IReadOnlyList<WorkflowStepDefinition> Steps { get; init; } = [];

    /// <summary>
    /// What runs once when a run fails, after the completed steps' compensations; null for nothing.
    /// </summary>
    public WorkflowCompensationDefinition? OnFailure { get; init; }

    /// <summary>The step with this id, or null.</summary>
    public WorkflowStepDefinition? FindStep(string id) =>
        Steps?.FirstOrDefault(step => step is not null && string.Equals(step.Id, id, StringComparison.Ordinal));

    /// <summary>True when some step carries code that JSON cannot hold (a condition or a configure action).</summary>
    [JsonIgnore]
    public bool HasCodeOnlyMembers => Steps?.Any(step => step?.Condition is not null || step?.Configure is not null) == true;
}
