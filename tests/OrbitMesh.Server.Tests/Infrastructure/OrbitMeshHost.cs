using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>Builds bare hosts for tests of startup and configuration (no token added unless the test adds one).</summary>
internal static class OrbitMeshHost
{
    public static WebApplicationBuilder CreateBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        return builder;
    }

    public static WebApplication Build(Action<OrbitMeshServerOptions> configure)
    {
        var builder = CreateBuilder();
        builder.Services.AddOrbitMesh(configure).UseInMemoryStorage();
        return builder.Build();
    }
}
