using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Issues users' access tokens: HS256 JWTs with <c>sub</c>, <c>role</c>, <c>actor</c>, <c>jti</c> and the
/// user's security stamp (<c>sst</c>, when the user has one: see <see cref="UserRecord.SecurityStamp"/>),
/// issuer and audience <c>orbitmesh</c>, lifetime <see cref="SecurityOptions.AccessTokenLifetime"/> on the
/// injected clock, signed with the key of <see cref="SigningKeys"/>. They are written with
/// IdentityModel's <see cref="JsonWebTokenHandler"/>, the handler that the framework's JwtBearer scheme
/// validates them with (<see cref="AccessTokenValidation"/>): JwtBearer validates but does not issue.
/// </summary>
internal sealed class AccessTokens(SigningKeys keys, TimeProvider time, IOptions<OrbitMeshServerOptions> options)
{
    /// <summary>The claim holding the security stamp the token was issued under.</summary>
    public const string StampClaim = "sst";

    /// <summary>The claim holding the audit actor (<c>user:NAME</c>).</summary>
    public const string ActorClaim = "actor";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TimeSpan _lifetime = options.Value.Security.AccessTokenLifetime;

    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        var (username, role) = (user.Username, user.Role);
        var key = await keys.GetAsync(cancellationToken).ConfigureAwait(false);
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
                [ActorClaim] = "user:" + username,
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            },
        };
        if (user.SecurityStamp is { } stamp)
        {
            descriptor.Claims[StampClaim] = stamp;
        }

        return (_handler.CreateToken(descriptor), expires);
    }
}
