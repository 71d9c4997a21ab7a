using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Users' access tokens: HS256 JWTs with <c>sub</c>, <c>role</c>, <c>actor</c>, <c>jti</c> and the user's
/// security stamp (<c>sst</c>, when the user has one: see <see cref="UserRecord.SecurityStamp"/>), issuer
/// and audience <c>orbitmesh</c>, lifetime <see cref="SecurityOptions.AccessTokenLifetime"/> on the
/// injected clock. The 32-byte key is made once and kept in the security store (kind
/// <c>signing-key</c>) encrypted with Data Protection, so every server of one database accepts them.
/// </summary>
internal sealed class AccessTokens(ISecurityStore store, IDataProtectionProvider dataProtection, TimeProvider time, IOptions<OrbitMeshServerOptions> options) : IDisposable
{
    private const string KeyId = "jwt-hs256";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly IDataProtector _protector = dataProtection.CreateProtector("OrbitMesh.Security.SigningKey.v1");
    private readonly TimeSpan _lifetime = options.Value.Security.AccessTokenLifetime;
    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private SymmetricSecurityKey? _key;

    /// <summary>The claim holding the security stamp the token was issued under.</summary>
    public const string StampClaim = "sst";

    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        var (username, role) = (user.Username, user.Role);
        var key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var expires = now + _lifetime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = ApiAuthenticationDefaults.Issuer,
            Audience = ApiAuthenticationDefaults.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = username,
                [ApiAuthenticationDefaults.RoleClaim] = role,
                ["actor"] = "user:" + username,
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            },
        };
        if (user.SecurityStamp is { } stamp)
        {
            descriptor.Claims[StampClaim] = stamp;
        }

        return (_handler.CreateToken(descriptor), expires);
    }

    /// <summary>The token's subject when it is valid now; otherwise why not.</summary>
    public async Task<(string? Subject, string? Failure)> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var checkedToken = await CheckAsync(token, cancellationToken).ConfigureAwait(false);
        return (checkedToken.Subject, checkedToken.Failure);
    }

    /// <summary>As <see cref="ValidateAsync"/>, with the token's expiry and security stamp.</summary>
    public async Task<AccessTokenCheck> CheckAsync(string token, CancellationToken cancellationToken = default)
    {
        var key = await KeyAsync(cancellationToken).ConfigureAwait(false);
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = ApiAuthenticationDefaults.Issuer,
            ValidAudience = ApiAuthenticationDefaults.Issuer,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,

            // The lifetime is checked below against the injected clock.
            ValidateLifetime = false,
            RequireExpirationTime = true,
        }).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return AccessTokenCheck.Refused(result.Exception switch
            {
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "the access token's signature is not valid",
                SecurityTokenInvalidIssuerException => "the access token has the wrong issuer",
                SecurityTokenInvalidAudienceException => "the access token has the wrong audience",
                SecurityTokenMalformedException => "the access token is malformed",
                _ => "the access token is not valid",
            });
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var now = time.GetUtcNow().UtcDateTime;
        if (jwt.ValidTo == DateTime.MinValue || jwt.ValidTo <= now)
        {
            return AccessTokenCheck.Refused("the access token has expired");
        }

        if (jwt.ValidFrom > now)
        {
            return AccessTokenCheck.Refused("the access token is not valid yet");
        }

        var stamp = jwt.TryGetPayloadValue<string>(StampClaim, out var value) ? value : null;
        return jwt.Subject is { Length: > 0 } subject
            ? new AccessTokenCheck(subject, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), stamp, null)
            : AccessTokenCheck.Refused("the access token has no subject");
    }

    public void Dispose() => _keyGate.Dispose();

    private async ValueTask<SymmetricSecurityKey> KeyAsync(CancellationToken cancellationToken)
    {
        if (_key is { } cached)
        {
            return cached;
        }

        await _keyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_key is null)
            {
                var document = await store.GetAsync(SecurityKinds.SigningKey, KeyId, cancellationToken).ConfigureAwait(false);
                if (document is not null)
                {
                    var record = SecurityKinds.Read<SigningKeyRecord>(document);
                    _key = new SymmetricSecurityKey(_protector.Unprotect(Convert.FromBase64String(record.ProtectedKey))) { KeyId = KeyId };
                    break;
                }

                var bytes = RandomNumberGenerator.GetBytes(32);
                var created = new SigningKeyRecord(Convert.ToBase64String(_protector.Protect(bytes)), time.GetUtcNow());
                if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.SigningKey, KeyId, created), cancellationToken).ConfigureAwait(false))
                {
                    _key = new SymmetricSecurityKey(bytes) { KeyId = KeyId };
                }

                // Otherwise another server stored its key first: read that one.
            }

            return _key;
        }
        finally
        {
            _keyGate.Release();
        }
    }
}

/// <summary>What checking an access token found: its subject, expiry and security stamp, or why it was refused.</summary>
internal sealed record AccessTokenCheck(string? Subject, DateTimeOffset ExpiresAt, string? Stamp, string? Failure)
{
    public static AccessTokenCheck Refused(string failure) => new(null, default, null, failure);
}
