using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Configures the framework's JwtBearer scheme (<see cref="ApiAuthenticationDefaults.BearerScheme"/>)
/// with the access tokens' rules: HS256 only, signed with the stored key (<see cref="SigningKeyConfiguration"/>),
/// issuer and audience <c>orbitmesh</c>, an expiry required, lifetime checked on the injected
/// <see cref="TimeProvider"/> with no clock skew. What JwtBearer cannot know (the user still exists,
/// its security stamp, the answer's shape) is done by <see cref="AccessTokenEvents"/>.
/// </summary>
internal sealed class AccessTokenValidation(SigningKeyConfiguration signingKeys, TimeProvider time) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions options)
    {
        if (name != ApiAuthenticationDefaults.BearerScheme)
        {
            return;
        }

        options.ConfigurationManager = signingKeys;
        options.RefreshOnIssuerKeyNotFound = false;
        options.MapInboundClaims = false;
        options.EventsType = typeof(AccessTokenEvents);
        options.TimeProvider = time;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = ApiAuthenticationDefaults.Issuer,
            ValidAudience = ApiAuthenticationDefaults.Issuer,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.Zero,
            LifetimeValidator = ValidateLifetime,
        };
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    // IdentityModel's own check accepts a token in the very instant of its exp; RFC 7519 (4.1.4), and
    // this server before JwtBearer, refuse it from exp on. Same clock, same exceptions as IdentityModel's.
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is not { } validTo || validTo <= now)
        {
            throw new SecurityTokenExpiredException("The access token has expired") { Expires = expires ?? DateTime.MinValue };
        }

        if (notBefore is { } validFrom && validFrom > now)
        {
            throw new SecurityTokenNotYetValidException("The access token is not valid yet") { NotBefore = validFrom };
        }

        return true;
    }
}
