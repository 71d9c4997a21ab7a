using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Execution;

/// <summary>Composes middleware types around a terminal step.</summary>
public static class MeshPipeline
{
    /// <summary>
    /// Builds the pipeline: the first type runs outermost. Middlewares are activated from the context's
    /// services for each execution.
    /// </summary>
    public static MeshDelegate Build(IReadOnlyList<Type> middlewareTypes, MeshDelegate terminal)
    {
        ArgumentNullException.ThrowIfNull(middlewareTypes);
        ArgumentNullException.ThrowIfNull(terminal);
        var next = terminal;
        for (var i = middlewareTypes.Count - 1; i >= 0; i--)
        {
            var type = middlewareTypes[i];
            var inner = next;
            next = context =>
            {
                var middleware = (IMeshMiddleware)ActivatorUtilities.GetServiceOrCreateInstance(context.Services, type);
                return middleware.InvokeAsync(context, inner);
            };
        }

        return next;
    }

    /// <summary>Checks that a type can be used as middleware.</summary>
    public static void Validate(Type middlewareType)
    {
        ArgumentNullException.ThrowIfNull(middlewareType);
        if (!typeof(IMeshMiddleware).IsAssignableFrom(middlewareType) || middlewareType.IsAbstract || middlewareType.IsInterface)
        {
            throw new ArgumentException($"{middlewareType} is not a concrete IMeshMiddleware.", nameof(middlewareType));
        }
    }
}
