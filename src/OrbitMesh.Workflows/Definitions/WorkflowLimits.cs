namespace OrbitMesh.Workflows;

/// <summary>
/// The limits every workflow definition must respect. <see cref="WorkflowValidator"/> refuses a
/// definition that breaks one, and <see cref="WorkflowJson"/> refuses JSON larger than
/// <see cref="MaxDefinitionBytes"/> before parsing it.
/// </summary>
public static class WorkflowLimits
{
    /// <summary>Most steps in one definition: 1,000.</summary>
    public const int MaxSteps = 1_000;

    /// <summary>Largest definition as UTF-8 JSON: 1 MiB (1,048,576 bytes).</summary>
    public const int MaxDefinitionBytes = 1024 * 1024;

    /// <summary>Longest workflow name or step id: 128 characters.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Most attempts a step's retry policy may allow: 100.</summary>
    public const int MaxAttempts = 100;

    /// <summary>Longest backoff between two attempts: one day.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromDays(1);

    /// <summary>Longest timeout of one step attempt or one compensation: seven days.</summary>
    public static readonly TimeSpan MaxStepTimeout = TimeSpan.FromDays(7);

    /// <summary>Longest timeout of a whole run: thirty days.</summary>
    public static readonly TimeSpan MaxWorkflowTimeout = TimeSpan.FromDays(30);

    /// <summary>Largest per-run parallelism a definition may ask for: 1,000.</summary>
    public const int MaxParallelism = 1_000;

    /// <summary>Most cycles one validation reports; a densely cyclic graph would otherwise list thousands.</summary>
    public const int MaxReportedCycles = 20;
}
