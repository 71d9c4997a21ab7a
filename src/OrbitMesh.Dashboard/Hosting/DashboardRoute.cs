using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Dashboard.Hosting;

/// <summary>
/// Where the dashboard lives. The prefix is fixed at <see cref="Path"/>: the framework cannot map Razor
/// component pages inside a route group (their SSR lookup misses the group's prefix), so each page's
/// <c>@page</c> carries the prefix and the base address is the site's root.
/// </summary>
internal sealed class DashboardRoute
{
    /// <summary>The dashboard's prefix.</summary>
    public const string Path = "/dashboard";

    private bool _mapped;

    public PathString Prefix { get; } = new(Path);

    /// <summary>The pages' base address (links are written relative to it, as <c>dashboard/...</c>).</summary>
    public const string BaseHref = "/";

    /// <summary>The start page.</summary>
    public string Home => Prefix.Value + "/";

    public void MarkMapped()
    {
        if (_mapped)
        {
            throw new InvalidOperationException("The dashboard is already mapped; call app.MapOrbitMeshDashboard() once.");
        }

        _mapped = true;
    }

    /// <summary><paramref name="returnUrl"/> when it is a path inside the dashboard, else the start page (no open redirects).</summary>
    public string LocalOrHome(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(Path + "/", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
            ? url
            : Home;
}
