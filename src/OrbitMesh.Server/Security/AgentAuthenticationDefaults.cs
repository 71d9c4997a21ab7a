namespace OrbitMesh.Server.Security;

/// <summary>Names used by agent authentication.</summary>
public static class AgentAuthenticationDefaults
{
    /// <summary>The authentication scheme that validates agent tokens.</summary>
    public const string Scheme = "OrbitMeshAgentToken";

    /// <summary>The authorization policy the agent hub requires.</summary>
    public const string PolicyName = "OrbitMeshAgent";

    /// <summary>The query-string parameter browsers use for the token (WebSockets cannot carry headers there).</summary>
    public const string AccessTokenQueryParameter = "access_token";
}
