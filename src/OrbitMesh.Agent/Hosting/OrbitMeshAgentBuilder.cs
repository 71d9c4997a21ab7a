using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Hosting;

internal sealed class OrbitMeshAgentBuilder(IServiceCollection services, HandlerRegistry handlers, List<Type> middleware) : IOrbitMeshAgentBuilder
{
    public IServiceCollection Services { get; } = services;

    public IOrbitMeshAgentBuilder AddHandler<THandler>(string command)
        where THandler : class
    {
        handlers.Add(command, HandlerRegistration.ForType(typeof(THandler)));
        return this;
    }

    public IOrbitMeshAgentBuilder AddHandler(string command, Func<MeshCommand, CancellationToken, Task<object?>> handler)
    {
        handlers.Add(command, HandlerRegistration.ForDelegate(handler));
        return this;
    }

    public IOrbitMeshAgentBuilder AddHandler(string command, Func<MeshCommand, object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handlers.Add(command, HandlerRegistration.ForDelegate((c, _) => Task.FromResult(handler(c))));
        return this;
    }

    public IOrbitMeshAgentBuilder AddStreamHandler(string command, Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handlers.Add(command, HandlerRegistration.ForStream(handler));
        return this;
    }

    public IOrbitMeshAgentBuilder UseMiddleware<TMiddleware>()
        where TMiddleware : class, Execution.IMeshMiddleware
    {
        middleware.Add(typeof(TMiddleware));
        return this;
    }
}
