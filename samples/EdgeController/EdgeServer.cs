using Microsoft.Extensions.FileProviders;

namespace EdgeController;

/// <summary>The mesh server, plus the firmware images in --Firmware served over HTTP at /firmware/.</summary>
internal static class EdgeServer
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
        .UseSqlite(settings["Database"] ?? "edgecontroller.db");

        var app = builder.Build();
        app.MapOrbitMesh();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Directory.CreateDirectory(Path.GetFullPath(settings["Firmware"] ?? "firmware")).FullName),
            RequestPath = "/firmware",
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
