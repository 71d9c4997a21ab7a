using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OrbitMesh;
using OrbitMesh.Grid;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Orbit Grid's direct-link copier on the server.</summary>
public static class GridLinkServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="GridLinkCopier"/>, signing link tokens with an ECDSA P-256 key generated when the server
    /// starts (it never leaves the process; stars receive its public key with each announced link). Needs the
    /// server's in-process <see cref="IMeshClient"/> (<c>AddOrbitMesh</c>).
    /// </summary>
    public static IServiceCollection AddGridLinkCopier(this IServiceCollection services, Action<GridLinkCopierOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new GridLinkCopierOptions();
        configure?.Invoke(options);
        services.TryAddSingleton<GridLinkSigningKey>();
        services.TryAddSingleton(provider => new GridLinkCopier(
            provider.GetRequiredService<IMeshClient>(),
            provider.GetRequiredService<GridLinkSigningKey>().Key,
            options,
            provider.GetService<ILogger<GridLinkCopier>>(),
            provider.GetService<TimeProvider>()));
        return services;
    }
}

/// <summary>The server's link-signing key, made once per process and disposed with the container.</summary>
internal sealed class GridLinkSigningKey : IDisposable
{
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose() => Key.Dispose();
}
