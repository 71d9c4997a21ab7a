using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Hosting;

namespace OrbitMesh.Server.Hosting;

internal sealed class OrbitMeshServerBuilder(IServiceCollection services) : IOrbitMeshServerBuilder
{
    public IServiceCollection Services { get; } = services;
}

/// <summary>Marks that AddOrbitMesh ran, so MapOrbitMesh can fail fast when it did not.</summary>
internal sealed class OrbitMeshMarkerService;
