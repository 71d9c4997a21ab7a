using System.Security.Cryptography;
using System.Text.Json;
using OrbitMesh.Agent;

namespace OrbitMesh.Grid;

/// <summary>
/// Checks direct-link tokens on the receiving star with the server's public key: the signature, the
/// expiry, that the token names this job, both stars and this exact range, and that it was not used
/// before. Used nonces are remembered until their token expires, in a bounded set: when it is full of
/// unexpired nonces new tokens are refused (fail closed) rather than the oldest forgotten.
/// Every refusal is a <see cref="MeshAccessDeniedException"/> (<c>not_allowed</c>).
/// </summary>
public sealed class GridLinkTokenValidator
{
    /// <summary>Default capacity of the used-nonce set.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly ECDsa _serverKey;
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly Dictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Creates a validator trusting <paramref name="serverKey"/> (the server's public key is enough).</summary>
    public GridLinkTokenValidator(ECDsa serverKey, TimeProvider? time = null, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(serverKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _serverKey = serverKey;
        _time = time ?? TimeProvider.System;
        _capacity = capacity;
    }

    /// <summary>
    /// The token's claims when it is genuine, unexpired, unused and names exactly this job, these stars
    /// and this range; it is then spent. Otherwise throws <see cref="MeshAccessDeniedException"/>.
    /// </summary>
    public GridLinkClaims Validate(string? token, string jobId, string sourceNodeId, string targetNodeId, long offset, long length)
    {
        var claims = Read(token);
        var now = _time.GetUtcNow();
        if (claims.ExpiresAt <= now)
        {
            throw new MeshAccessDeniedException("The link token has expired.");
        }

        if (claims.JobId != jobId || claims.SourceNodeId != sourceNodeId || claims.TargetNodeId != targetNodeId)
        {
            throw new MeshAccessDeniedException("The link token was issued for another job or other stars.");
        }

        if (claims.Offset != offset || claims.Length != length)
        {
            throw new MeshAccessDeniedException("The link token was issued for another range.");
        }

        lock (_gate)
        {
            if (_used.Count >= _capacity)
            {
                foreach (var expired in _used.Where(u => u.Value <= now).Select(u => u.Key).ToList())
                {
                    _used.Remove(expired);
                }
            }

            if (_used.ContainsKey(claims.Nonce))
            {
                throw new MeshAccessDeniedException("The link token was already used.");
            }

            if (_used.Count >= _capacity)
            {
                throw new MeshAccessDeniedException("Too many link tokens are in use on this star; try again later.");
            }

            _used[claims.Nonce] = claims.ExpiresAt;
        }

        return claims;
    }

    private GridLinkClaims Read(string? token)
    {
        var dot = token?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (token is null || dot <= 0 || dot == token.Length - 1)
        {
            throw new MeshAccessDeniedException("The link token is malformed.");
        }

        byte[] payload;
        byte[] signature;
        try
        {
            payload = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            throw new MeshAccessDeniedException("The link token is malformed.");
        }

        if (!_serverKey.VerifyData(payload, signature, HashAlgorithmName.SHA256))
        {
            throw new MeshAccessDeniedException("The link token's signature is not the server's.");
        }

        try
        {
            return JsonSerializer.Deserialize<GridLinkClaims>(payload, OrbitMeshJson.Options)
                ?? throw new MeshAccessDeniedException("The link token is malformed.");
        }
        catch (JsonException)
        {
            throw new MeshAccessDeniedException("The link token is malformed.");
        }
    }
}
