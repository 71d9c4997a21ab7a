using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Dashboard;

/// <summary>Options of the admin dashboard (<c>AddOrbitMeshDashboard</c>), validated at start.</summary>
public sealed class DashboardOptions
{
    /// <summary>The default of <see cref="RefreshInterval"/>: one second.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default of <see cref="SessionLifetime"/>: eight hours.</summary>
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(8);

    /// <summary>The default of <see cref="PageSize"/>.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>
    /// How often an open page gathers what changed and pushes one render to the browser (updates are
    /// batched per interval, never one render per event). 100 ms to 1 min; default 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>How long a sign-in lasts without activity (sliding). 1 min to 7 days; default 8 h.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = DefaultSessionLifetime;

    /// <summary>Rows per page in the agents and jobs tables. 10 to 500; default 50.</summary>
    [Range(10, 500)]
    public int PageSize { get; set; } = DefaultPageSize;
}
