using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>Logs once at start when the API accepts anonymous requests from any address.</summary>
internal sealed partial class InsecureModeWarning(IOptions<OrbitMeshServerOptions> options, ILogger<InsecureModeWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var security = options.Value.Security;
        if (security.InsecureDevelopmentMode && security.AllowAnonymousLoopbackApi)
        {
            Log.Insecure(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(2350, LogLevel.Warning, "InsecureDevelopmentMode: the REST API accepts unauthenticated requests from any address and treats them as admin. Never use this outside development.")]
        public static partial void Insecure(ILogger logger);
    }
}
