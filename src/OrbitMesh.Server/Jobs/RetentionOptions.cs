using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// How finished jobs are compacted, so a long-running server does not grow its database without
/// bound: a finished job's events are dropped after <see cref="EventsAfter"/> (its record stays as the
/// snapshot of its final state), and the job itself after <see cref="JobsAfter"/>.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>Drop the events of jobs finished longer ago than this. Default 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan EventsAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Drop jobs finished longer ago than this. Default 7 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan JobsAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often retention runs. Default 5 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);
}
