using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Hosting;

/// <summary>Returned by <c>AddOrbitMesh</c>; storage providers and other features chain onto it (<c>.UseSqlite(path)</c>).</summary>
public interface IOrbitMeshServerBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}
