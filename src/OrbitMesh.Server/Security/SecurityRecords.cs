using System.Text.Json;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>The security-store kinds, and how their records are written into <see cref="SecurityDocument"/>s.</summary>
internal static class SecurityKinds
{
    public const string User = "user";
    public const string Refresh = "refresh";
    public const string ApiKey = "apikey";
    public const string SigningKey = "signing-key";
    public const string BootstrapToken = "token";
    public const string Node = "node";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A record as the document to store at <paramref name="version"/> (1 for a new one).</summary>
    public static SecurityDocument Document<T>(string kind, string id, T record, long version = 1) =>
        new() { Kind = kind, Id = id, Version = version, Data = JsonSerializer.Serialize(record, Json) };

    /// <summary>The record a document holds.</summary>
    public static T Read<T>(SecurityDocument document) => JsonSerializer.Deserialize<T>(document.Data, Json)!;
}

/// <summary>A stored user: never leaves the server (the API returns <see cref="UserView"/>).</summary>
/// <param name="Username">The login name (also the record's id).</param>
/// <param name="PasswordHash">The password as <c>PasswordHasher</c> hashed it.</param>
/// <param name="Role">viewer, operator or admin.</param>
/// <param name="CreatedAt">When the user was created.</param>
/// <param name="SecurityStamp">
/// Changes with the password; every access token carries the stamp it was issued under, and one whose
/// stamp is not the user's current one is refused, so a password change ends every session at once.
/// Null for users stored before stamps existed (their tokens carry none).
/// </param>
internal sealed record UserRecord(string Username, string PasswordHash, string Role, DateTimeOffset CreatedAt, string? SecurityStamp = null);

/// <summary>A stored refresh token: only the SHA-256 of its secret is kept.</summary>
internal sealed record RefreshTokenRecord(
    string Id,
    string Username,
    string Family,
    string SecretHash,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    bool Used = false,
    bool Revoked = false);

/// <summary>A stored API key: only the SHA-256 of its secret is kept. Refused from <paramref name="ExpiresAt"/> on, when it has one.</summary>
internal sealed record ApiKeyRecord(string Id, string Name, string Role, string SecretHash, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? ExpiresAt = null);

/// <summary>The JWT signing key, encrypted with Data Protection.</summary>
internal sealed record SigningKeyRecord(string ProtectedKey, DateTimeOffset CreatedAt);
