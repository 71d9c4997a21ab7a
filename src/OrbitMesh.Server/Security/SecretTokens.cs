using System.Security.Cryptography;
using System.Text;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Opaque credentials of the form <c>PREFIX_ID_SECRET</c> (refresh tokens <c>omr_</c>, API keys
/// <c>omk_</c>): the id finds the record, only the SHA-256 of the secret is stored, and the
/// comparison takes constant time.
/// </summary>
internal static class SecretTokens
{
    public static (string Id, string Secret, string Token) Create(string prefix)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, secret, $"{prefix}_{id}_{secret}");
    }

    public static bool TryParse(string prefix, string token, out string id, out string secret)
    {
        id = secret = "";
        var parts = token.Split('_', 3);
        if (parts.Length != 3 || parts[0] != prefix || parts[1].Length != 24 || parts[2].Length == 0 || !parts[1].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        id = parts[1];
        secret = parts[2];
        return true;
    }

    public static string Hash(string secret) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string secret, string storedHash)
    {
        Span<byte> stored = stackalloc byte[32];
        return Convert.TryFromBase64String(storedHash, stored, out var written) && written == 32 &&
            CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), stored);
    }

    public static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '.');
}
