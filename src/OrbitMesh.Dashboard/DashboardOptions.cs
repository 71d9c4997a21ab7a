using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Dashboard;

/// <summary>Options of the admin dashboard (<c>AddOrbitMeshDashboard</c>), validated at start.</summary>
public sealed class DashboardOptions
{
    /// <summary>The default of <see cref="RefreshInterval"/>: five seconds.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>The default of <see cref="PushInterval"/>: 250 ms (at most four renders a second per page).</summary>
    public static readonly TimeSpan DefaultPushInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The default of <see cref="SessionLifetime"/>: eight hours.</summary>
    public static readonly TimeSpan DefaultSessionLifetime = TimeSpan.FromHours(8);

    /// <summary>The default of <see cref="PageSize"/>.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>
    /// How often an open page reloads when no event told it that something it shows changed (what has no
    /// event: heartbeats, load, queue depth). Events (agents connecting and leaving, job events, runs' steps)
    /// render the page sooner, batched by <see cref="PushInterval"/>. 100 ms to 1 min; default 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>
    /// The shortest time between two renders an open page pushes to the browser: the events that arrive
    /// meanwhile are gathered into the next one (one load and one diff), never one render per event.
    /// 50 ms to 10 s; default 250 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan PushInterval { get; set; } = DefaultPushInterval;

    /// <summary>How long a sign-in lasts without activity (sliding). 1 min to 7 days; default 8 h.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = DefaultSessionLifetime;

    /// <summary>Rows per page in the agents and jobs tables. 10 to 500; default 50.</summary>
    [Range(10, 500)]
    public int PageSize { get; set; } = DefaultPageSize;
}
