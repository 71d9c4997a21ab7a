using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace OrbitMesh.Cli.Hosting;

/// <summary>Builds the server the <c>server</c> and <c>demo</c> commands run.</summary>
internal static class ServerHost
{
    public static WebApplication Build(ServerSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(10));
        CliLogging.Configure(builder.Logging, settings.LogLevel, settings.JsonLogs);

        // Nothing is protected with Data Protection yet; keep its keys in memory rather than in the user's home directory.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var mesh = builder.Services.AddOrbitMesh(o =>
        {
            foreach (var token in settings.AgentTokens)
            {
                o.AgentTokens.Add(token);
            }

            o.ApiKey = settings.ApiKey;
            if (settings.HeartbeatInterval is { } interval)
            {
                o.HeartbeatInterval = interval;
            }

            if (settings.MissedHeartbeats is { } missed)
            {
                o.MissedHeartbeatsAllowed = missed;
            }
        });
        switch (settings.Storage)
        {
            case "sqlite":
                mesh.UseSqlite(Path.Combine(settings.DataDirectory, "orbitmesh.db"));
                break;
            case "memory":
                mesh.UseInMemoryStorage();
                break;
            default:
                throw new CliException($"--storage '{settings.Storage}' is not supported; use sqlite or memory.");
        }

        var app = builder.Build();
        app.MapOrbitMesh();
        return app;
    }
}
