using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Agent.Hosting;

/// <summary>Returned by <c>AddOrbitMeshAgent</c>; register handlers on it.</summary>
public interface IOrbitMeshAgentBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers a handler type for a command; it is activated from DI per execution.</summary>
    IOrbitMeshAgentBuilder AddHandler<THandler>(string command)
        where THandler : class;

    /// <summary>Registers a lambda handler for a command.</summary>
    IOrbitMeshAgentBuilder AddHandler(string command, Func<MeshCommand, CancellationToken, Task<object?>> handler);

    /// <summary>Registers a synchronous lambda handler for a command (as <c>MeshAgentBuilder.RegisterHandler</c> does).</summary>
    IOrbitMeshAgentBuilder AddHandler(string command, Func<MeshCommand, object?> handler);

    /// <summary>Registers a lambda stream handler for a command: the items it yields stream back to the caller.</summary>
    IOrbitMeshAgentBuilder AddStreamHandler(string command, Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> handler);

    /// <summary>Adds a middleware that runs around every handler execution, outermost first.</summary>
    IOrbitMeshAgentBuilder UseMiddleware<TMiddleware>()
        where TMiddleware : class, Execution.IMeshMiddleware;
}
