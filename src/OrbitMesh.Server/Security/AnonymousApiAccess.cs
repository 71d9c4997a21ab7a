using System.Net;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The safe default for requests that present no credentials: refused, unless
/// <see cref="SecurityOptions.AllowAnonymousLoopbackApi"/> is set and the caller is on a loopback
/// address, or <see cref="SecurityOptions.InsecureDevelopmentMode"/> is also set (any address).
/// </summary>
internal static class AnonymousApiAccess
{
    public const string Refused = "This API requires credentials: send 'Authorization: Bearer <access token>' (POST /api/auth/login) or the X-Api-Key header";

    public const string LoopbackOnly = "Anonymous API access is allowed from loopback addresses only; from other addresses send 'Authorization: Bearer <access token>' or the X-Api-Key header";

    /// <summary>Null when an anonymous request from <paramref name="remote"/> may act as admin; otherwise why not.</summary>
    public static string? Decide(SecurityOptions options, IPAddress? remote)
    {
        if (!options.AllowAnonymousLoopbackApi)
        {
            return Refused;
        }

        if (options.InsecureDevelopmentMode)
        {
            return null;
        }

        return remote is not null && IPAddress.IsLoopback(remote) ? null : LoopbackOnly;
    }
}
