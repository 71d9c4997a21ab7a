namespace OrbitMesh.Server.Security;

/// <summary>Names used by the REST API's authentication (users' JWT access tokens and API keys).</summary>
public static class ApiAuthenticationDefaults
{
    /// <summary>
    /// The authentication scheme of <c>/api</c>: a policy scheme that forwards each request to the scheme
    /// for its credential: <see cref="BearerScheme"/> for <c>Authorization: Bearer &lt;access token&gt;</c>,
    /// <see cref="ApiKeyScheme"/> for <c>X-Api-Key</c> or no credentials, and, on the agent hub's path,
    /// <see cref="AgentAuthenticationDefaults.Scheme"/>.
    /// </summary>
    public const string Scheme = "OrbitMeshApi";

    /// <summary>The framework's JwtBearer scheme, validating users' access tokens.</summary>
    public const string BearerScheme = "OrbitMeshBearer";

    /// <summary>The scheme of API keys (<c>X-Api-Key</c>) and of requests without credentials (the safe default).</summary>
    public const string ApiKeyScheme = "OrbitMeshApiKey";

    /// <summary>The header that carries an API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";

    /// <summary>The claim type of an identity's role (<see cref="OrbitMeshRoles"/>).</summary>
    public const string RoleClaim = "role";

    /// <summary>The claim holding when a JWT-authenticated request's access token expires (Unix milliseconds): long-lived answers (event streams) end then.</summary>
    public const string ExpiresClaim = "orbitmesh:expires";

    /// <summary>The issuer and audience of access tokens.</summary>
    public const string Issuer = "orbitmesh";
}
