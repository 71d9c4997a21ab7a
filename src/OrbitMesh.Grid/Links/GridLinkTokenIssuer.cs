using System.Security.Cryptography;
using System.Text.Json;

namespace OrbitMesh.Grid;

/// <summary>
/// Issues direct-link tokens on the server: the claims as JSON, signed with the server's ECDSA P-256
/// key, so that stars can check a token with the public key alone and cannot mint one themselves.
/// Format: <c>base64url(claims JSON) "." base64url(signature)</c>.
/// </summary>
public sealed class GridLinkTokenIssuer
{
    /// <summary>The longest lifetime a token may be given: 5 minutes.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    private readonly ECDsa _key;
    private readonly TimeProvider _time;

    /// <summary>Creates an issuer signing with <paramref name="key"/> (a P-256 key with its private part).</summary>
    public GridLinkTokenIssuer(ECDsa key, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A token for one range, valid for <paramref name="lifetime"/> (at most <see cref="MaxLifetime"/>).</summary>
    public string Issue(string jobId, string sourceNodeId, string targetNodeId, string path, long offset, long length, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        ArgumentException.ThrowIfNullOrEmpty(sourceNodeId);
        ArgumentException.ThrowIfNullOrEmpty(targetNodeId);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, $"A link token lives more than 0 and at most {MaxLifetime}.");
        }

        var claims = new GridLinkClaims(jobId, sourceNodeId, targetNodeId, path, offset, length, _time.GetUtcNow() + lifetime,
            Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var payload = JsonSerializer.SerializeToUtf8Bytes(claims, OrbitMeshJson.Options);
        var signature = _key.SignData(payload, HashAlgorithmName.SHA256);
        return System.Buffers.Text.Base64Url.EncodeToString(payload) + "." + System.Buffers.Text.Base64Url.EncodeToString(signature);
    }
}
