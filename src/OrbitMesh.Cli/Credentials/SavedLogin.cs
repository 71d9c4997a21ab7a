namespace OrbitMesh.Cli.Credentials;

/// <summary>One server's saved login: what <c>POST /api/auth/login</c> (or a refresh) returned, and for whom.</summary>
internal sealed record SavedLogin(
    string Username,
    string Role,
    string AccessToken,
    DateTimeOffset ExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshExpiresAt);
