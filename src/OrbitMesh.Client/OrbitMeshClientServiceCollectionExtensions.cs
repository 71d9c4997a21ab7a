using OrbitMesh;
using OrbitMesh.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the remote OrbitMesh client.</summary>
public static class OrbitMeshClientServiceCollectionExtensions
{
    /// <summary>Adds a singleton <see cref="IMeshClient"/> that talks to a remote server.</summary>
    public static IServiceCollection AddOrbitMeshClient(this IServiceCollection services, Action<MeshClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new MeshClientOptions();
        configure(options);
        services.AddSingleton<IMeshClient>(_ => new MeshHttpClient(options));
        return services;
    }
}
