using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Logs once at start how the API can be entered without a stored credential: anonymously from any
/// address (a warning), or with the static admin key (its id, never its value).
/// </summary>
internal sealed partial class InsecureModeWarning(IOptions<OrbitMeshServerOptions> options, ILogger<InsecureModeWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var security = options.Value.Security;
        if (security.InsecureDevelopmentMode && security.AllowAnonymousLoopbackApi)
        {
            Log.Insecure(logger);
        }

        if (options.Value.ApiKey is { Length: > 0 } key)
        {
            Log.StaticKey(logger, StaticKeyId(key));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The static key's id: the first 12 hex digits of its SHA-256, enough to tell keys apart, useless to an attacker.</summary>
    internal static string StaticKeyId(string key) =>
        "static:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..12];

    private static partial class Log
    {
        [LoggerMessage(2350, LogLevel.Warning, "InsecureDevelopmentMode: the REST API accepts unauthenticated requests from any address and treats them as admin. Never use this outside development.")]
        public static partial void Insecure(ILogger logger);

        [LoggerMessage(2352, LogLevel.Information, "A static admin API key ({KeyId}) is accepted in X-Api-Key, as given by the host's configuration.")]
        public static partial void StaticKey(ILogger logger, string keyId);
    }
}
