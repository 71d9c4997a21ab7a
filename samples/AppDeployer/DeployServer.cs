using Microsoft.Extensions.FileProviders;
using OrbitMesh.Workflows;

namespace AppDeployer;

/// <summary>The mesh server, plus a package feed: the files in --Packages served over HTTP at /packages/.</summary>
internal static class DeployServer
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(args);
        var settings = builder.Configuration;
        builder.Services.AddOrbitMesh(options =>
        {
            options.AgentTokens.Add(settings["AgentToken"] ?? "dev-agent-token");
            options.ApiKey = settings["ApiKey"] ?? "dev-api-key";
        })
        .UseSqlite(settings["Database"] ?? "appdeployer.db");
        builder.Services.AddOrbitMeshWorkflows();

        var app = builder.Build();
        app.MapOrbitMesh();
        var packages = Directory.CreateDirectory(Path.GetFullPath(settings["Packages"] ?? "packages")).FullName;
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(packages),
            RequestPath = "/packages",
            ServeUnknownFileTypes = true,
        });
        if (settings["urls"] is null)
        {
            app.Urls.Add("http://127.0.0.1:5080");
        }

        await app.RunAsync(cancellationToken); // Stops gracefully on Ctrl+C or SIGTERM.
        return 0;
    }
}
