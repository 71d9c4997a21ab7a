using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Hosts an OrbitMesh agent in a generic host.</summary>
public static class OrbitMeshAgentServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="MeshAgent"/> (a singleton) and a hosted service that connects it when the host
    /// starts, retrying until the server answers, and stops it with the host. Handlers are activated
    /// from the host's services.
    /// </summary>
    public static IOrbitMeshAgentBuilder AddOrbitMeshAgent(this IServiceCollection services, Action<MeshAgentOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var handlers = new HandlerRegistry();
        var middleware = new List<Type>();
        services.AddSingleton(sp =>
        {
            var options = new MeshAgentOptions { RetryInitialConnection = true };
            configure(options);
            options.Validate();
            return new MeshAgent(options, handlers, sp, sp.GetRequiredService<ILoggerFactory>(), configureConnection: null, middleware);
        });
        services.AddHostedService<MeshAgentHostedService>();
        return new OrbitMeshAgentBuilder(services, handlers, middleware);
    }
}
