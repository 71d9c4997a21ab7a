using System.Globalization;
using System.Security.Claims;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The identity every REST API credential becomes, whichever scheme checked it: name, role, audit actor,
/// method (<c>jwt</c>, <c>apikey</c>, <c>anonymous</c>) and, for access tokens, when the token expires.
/// </summary>
internal static class ApiPrincipal
{
    public static ClaimsPrincipal Create(string actor, string name, string role, string method, DateTimeOffset? expiresAt = null)
    {
        List<Claim> claims =
        [
            new(ClaimTypes.Name, name),
            new(ApiAuthenticationDefaults.RoleClaim, role),
            new(SecurityAudit.ActorClaim, actor),
            new(ClaimTypes.AuthenticationMethod, method),
        ];
        if (expiresAt is { } expires)
        {
            claims.Add(new(ApiAuthenticationDefaults.ExpiresClaim, expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        }

        // The authentication type is the API's (policy) scheme for every credential, as it was when one handler did all.
        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiAuthenticationDefaults.Scheme, ClaimTypes.Name, ApiAuthenticationDefaults.RoleClaim));
    }
}
