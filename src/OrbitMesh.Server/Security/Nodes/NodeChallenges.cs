using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using OrbitMesh.Security;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// Fresh nonces for node proofs: each is bound to one node, valid for <see cref="SecurityOptions.ChallengeLifetime"/>
/// and usable once. Kept in memory (a nonce outlives no restart; the node just asks again), bounded.
/// </summary>
internal sealed class NodeChallenges(IOptions<OrbitMeshServerOptions> options, TimeProvider time)
{
    /// <summary>Outstanding nonces at most; past it the oldest expired ones are dropped, then new ones refused.</summary>
    public const int MaxOutstanding = 200_000;

    private readonly ConcurrentDictionary<string, (string NodeId, DateTimeOffset ExpiresAt)> _nonces = new(StringComparer.Ordinal);
    private readonly TimeSpan _lifetime = options.Value.Security.ChallengeLifetime;

    public NodeChallenge? Issue(string nodeId)
    {
        var now = time.GetUtcNow();
        if (_nonces.Count >= MaxOutstanding)
        {
            foreach (var (nonce, entry) in _nonces)
            {
                if (entry.ExpiresAt <= now)
                {
                    _nonces.TryRemove(nonce, out _);
                }
            }

            if (_nonces.Count >= MaxOutstanding)
            {
                return null;
            }
        }

        var value = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var expiresAt = now + _lifetime;
        _nonces[value] = (nodeId, expiresAt);
        return new NodeChallenge(value, expiresAt);
    }

    /// <summary>
    /// Checks that <paramref name="nonce"/> was issued to <paramref name="nodeId"/> and has not expired;
    /// with <paramref name="consume"/> it can never be used again. Null when valid, otherwise why not.
    /// </summary>
    public string? Check(string nodeId, string nonce, bool consume)
    {
        if (!_nonces.TryGetValue(nonce, out var entry))
        {
            return "the challenge nonce is unknown or was already used";
        }

        if (entry.NodeId != nodeId)
        {
            return "the challenge nonce was issued to another node";
        }

        if (entry.ExpiresAt <= time.GetUtcNow())
        {
            _nonces.TryRemove(nonce, out _);
            return "the challenge nonce expired";
        }

        if (consume && !_nonces.TryRemove(nonce, out _))
        {
            return "the challenge nonce is unknown or was already used";
        }

        return null;
    }
}
