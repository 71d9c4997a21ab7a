namespace OrbitMesh.Server.Security;

/// <summary>Authorization and rate-limiting policy names OrbitMesh registers.</summary>
public static class OrbitMeshPolicies
{
    /// <summary>Any authenticated user or API key with the viewer role or above.</summary>
    public const string Viewer = "OrbitMesh.Viewer";

    /// <summary>The operator role or above.</summary>
    public const string Operator = "OrbitMesh.Operator";

    /// <summary>The admin role.</summary>
    public const string Admin = "OrbitMesh.Admin";

    /// <summary>A connected agent: an enrolled node (challenge–response) or, when enabled, a shared agent token.</summary>
    public const string Agent = AgentAuthenticationDefaults.PolicyName;

    /// <summary>Rate limit of the anonymous enrollment endpoints, per remote address.</summary>
    public const string EnrollmentRateLimit = "OrbitMesh.Enrollment";

    /// <summary>Rate limit of login and token refresh, per remote address.</summary>
    public const string LoginRateLimit = "OrbitMesh.Login";

    /// <summary>Rate limit of authenticated API calls, per identity.</summary>
    public const string ApiRateLimit = "OrbitMesh.Api";
}
