using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Checks presented agent tokens against the configured ones. Only SHA-256 hashes are kept, and they
/// are compared in constant time.
/// </summary>
internal sealed class AgentTokenValidator
{
    private readonly byte[][] _hashes;

    public AgentTokenValidator(IOptions<OrbitMeshServerOptions> options)
    {
        _hashes = options.Value.AgentTokens.Where(t => !string.IsNullOrEmpty(t)).Select(Hash).ToArray();
    }

    /// <summary>True when the server accepts shared agent tokens at all (they were configured).</summary>
    public bool Enabled => _hashes.Length > 0;

    /// <summary>The index of the matching configured token, or -1.</summary>
    public int Match(string token)
    {
        var presented = Hash(token);
        var match = -1;
        for (var i = 0; i < _hashes.Length; i++)
        {
            // No early exit: the time taken does not depend on which token matched.
            if (CryptographicOperations.FixedTimeEquals(presented, _hashes[i]))
            {
                match = i;
            }
        }

        return match;
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
