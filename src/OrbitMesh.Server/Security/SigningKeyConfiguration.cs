using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Hands JwtBearer the signing key from <see cref="SigningKeys"/>. JwtBearer's configuration manager is
/// its one asynchronous way to obtain keys per request (usually from an authority's metadata); ours reads
/// the security store instead, so the key that is created on first use, or by another server of the same
/// database, is the one tokens are validated with. There is no metadata to refresh.
/// </summary>
internal sealed class SigningKeyConfiguration(SigningKeys keys) : IConfigurationManager<OpenIdConnectConfiguration>
{
    private OpenIdConnectConfiguration? _configuration;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        if (_configuration is { } cached)
        {
            return cached;
        }

        var configuration = new OpenIdConnectConfiguration { Issuer = ApiAuthenticationDefaults.Issuer };
        configuration.SigningKeys.Add(await keys.GetAsync(cancel).ConfigureAwait(false));
        return _configuration = configuration;
    }

    /// <summary>Nothing to refresh: the key never changes once stored.</summary>
    public void RequestRefresh()
    {
    }
}
