using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Server.Hosting;

/// <summary>Returned by <c>AddOrbitMesh</c>; storage providers and other features chain onto it.</summary>
public interface IOrbitMeshServerBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}

internal sealed class OrbitMeshServerBuilder(IServiceCollection services) : IOrbitMeshServerBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Marks that AddOrbitMesh ran, so MapOrbitMesh can fail fast when it did not.</summary>
internal sealed class OrbitMeshMarkerService;
