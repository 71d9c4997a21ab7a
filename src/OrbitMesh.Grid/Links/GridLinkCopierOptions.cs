using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Grid;

/// <summary>Settings of <see cref="GridLinkCopier"/>.</summary>
public sealed class GridLinkCopierOptions
{
    /// <summary>How many pushes a copy may take before it fails (a broken link resumes). Default 5.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How long a link token lives: it must reach the receiving star within this time. Default 2 minutes (at most 5).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The timeout of the announce and stat calls. Default 30 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The timeout of one push. Default 1 hour.</summary>
    public TimeSpan PushTimeout { get; set; } = TimeSpan.FromHours(1);
}
