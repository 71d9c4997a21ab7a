namespace OrbitMesh.Dashboard.Security;

/// <summary>Names of the dashboard's authentication: a cookie session of its own, never accepted by the REST API.</summary>
public static class DashboardAuthenticationDefaults
{
    /// <summary>The dashboard's scheme: the session cookie (or, with <c>--insecure-development</c> and no cookie, an anonymous admin).</summary>
    public const string Scheme = "OrbitMeshDashboard";

    /// <summary>The cookie scheme behind <see cref="Scheme"/>.</summary>
    public const string CookieScheme = "OrbitMeshDashboardCookie";

    /// <summary>The scheme that lets anonymous requests in as admin, used only in insecure development mode.</summary>
    public const string InsecureScheme = "OrbitMeshDashboardInsecure";

    /// <summary>The session cookie's name.</summary>
    public const string CookieName = ".OrbitMesh.Dashboard";

    /// <summary>The claim holding the user's security stamp when they signed in: a password change ends the session.</summary>
    public const string StampClaim = "orbitmesh:stamp";

    /// <summary>Policy: any signed-in user (viewer or above).</summary>
    public const string ViewerPolicy = "OrbitMesh.Dashboard.Viewer";

    /// <summary>Policy: operator or above (jobs, runs, agents).</summary>
    public const string OperatorPolicy = "OrbitMesh.Dashboard.Operator";

    /// <summary>Policy: admin (nodes, tokens).</summary>
    public const string AdminPolicy = "OrbitMesh.Dashboard.Admin";
}
