using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OrbitMesh;
using OrbitMesh.Hosting;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Cluster;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis backplane that makes several servers one mesh.</summary>
public static class RedisBackplaneExtensions
{
    /// <summary>
    /// Joins this server to the servers that name the same Redis and <see cref="RedisBackplaneOptions.ChannelPrefix"/>:
    /// SignalR's Redis backplane carries messages and client results (server-to-agent invocations) to an agent connected
    /// to any of them, and a directory in Redis lists every server's agents (<c>GET /api/agents</c> on any server shows
    /// all of them with the server each is on). Use it with a shared store (<c>UsePostgres</c>).
    /// </summary>
    public static IOrbitMeshServerBuilder UseRedisBackplane(this IOrbitMeshServerBuilder builder, string configuration, Action<RedisBackplaneOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        var options = new RedisBackplaneOptions { Configuration = configuration };
        configure?.Invoke(options);
        Validate(options);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<IConnectionMultiplexer>(sp => Connect(options, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSignalR().AddStackExchangeRedis(o =>
        {
            o.Configuration.ChannelPrefix = RedisChannel.Literal(options.ChannelPrefix);
        });

        // SignalR's backplane and the directory share one multiplexer (one set of connections to Redis).
        services.AddOptions<RedisOptions>().Configure<IServiceProvider>((o, sp) =>
            o.ConnectionFactory = _ => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()));
        services.AddSingleton<RedisClusterDirectory>();
        services.AddHostedService(sp => sp.GetRequiredService<RedisClusterDirectory>());
        services.Replace(ServiceDescriptor.Singleton<IClusterDirectory>(sp => sp.GetRequiredService<RedisClusterDirectory>()));
        // The job path: with a store that keeps job claims (UsePostgres), the store decides which server owns each job.
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetService<OrbitMesh.Storage.IJobClaimStore>() is { } claims
            ? JobOwnership.Cluster(claims, options.ServerId, options.JobLease, signal =>
                sp.GetRequiredService<IConnectionMultiplexer>().GetSubscriber().PublishAsync(
                    ClusterJobIntake.Channel(options), System.Text.Json.JsonSerializer.Serialize(signal, OrbitMeshJson.Options)))
            : JobOwnership.Single));
        services.AddSingleton<ClusterJobIntake>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterJobIntake>());
        services.AddHealthChecks().AddCheck<ClusterReadinessCheck>("orbitmesh-cluster", tags: [Microsoft.AspNetCore.Builder.OrbitMeshEndpointRouteBuilderExtensions.ReadyTag]);
        services.Replace(ServiceDescriptor.Singleton<IAgentRegistry>(sp => new ClusterAgentRegistry(sp.GetRequiredService<AgentRegistry>(), sp.GetRequiredService<IClusterDirectory>())));
        return builder;
    }

    /// <summary>The endpoints of a configuration, without its password.</summary>
    internal static string Describe(string configuration)
    {
        try
        {
            return string.Join(",", ConfigurationOptions.Parse(configuration).EndPoints.Select(e => e.ToString()));
        }
        catch (ArgumentException)
        {
            return "(invalid configuration)";
        }
    }

    private static ConnectionMultiplexer Connect(RedisBackplaneOptions options, ILoggerFactory loggers)
    {
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false; // Keep trying in the background when Redis is down at start or later.
        configuration.ClientName ??= "orbitmesh-" + options.ServerId;
        configuration.LoggerFactory = loggers;
        return ConnectionMultiplexer.Connect(configuration);
    }

    private static void Validate(RedisBackplaneOptions options)
    {
        SettingsValidation.ThrowIfInvalid(options, "Redis backplane");

        try
        {
            _ = ConfigurationOptions.Parse(options.Configuration);
        }
        catch (ArgumentException ex)
        {
            throw new OrbitMeshException("invalid_options", $"The Redis configuration '{Describe(options.Configuration)}' is invalid: {ex.Message}", ex);
        }

        if (options.JobLease < TimeSpan.FromSeconds(1) || options.JobIntakeInterval <= TimeSpan.Zero || options.UnservedRelease <= TimeSpan.Zero)
        {
            throw new OrbitMeshException("invalid_options", "The Redis backplane settings are invalid: JobLease must be at least 1 s, JobIntakeInterval and UnservedRelease positive.");
        }

        if (options.PresenceInterval <= TimeSpan.Zero || options.ServerTimeout <= options.PresenceInterval * 2)
        {
            throw new OrbitMeshException("invalid_options", "The Redis backplane settings are invalid: PresenceInterval must be positive and ServerTimeout more than twice as long.");
        }
    }
}
