using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrbitMesh;
using OrbitMesh.Server;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Diagnostics;
using OrbitMesh.Server.Health;
using OrbitMesh.Server.Hosting;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Invocation;
using OrbitMesh.Server.Jobs;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;
using OrbitMesh.Server.Security;

using OrbitMesh.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OrbitMesh server.</summary>
public static class OrbitMeshServiceCollectionExtensions
{
    /// <summary>
    /// Adds the OrbitMesh server: the agent hub, registry, liveness monitor, agent authentication,
    /// REST API services, health checks and the in-process <see cref="IMeshClient"/>. Options are
    /// validated when the host starts. Map the endpoints with <c>app.MapOrbitMesh()</c>.
    /// </summary>
    public static IOrbitMeshServerBuilder AddOrbitMesh(this IServiceCollection services, Action<OrbitMeshServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new OrbitMeshServerBuilder(services);
        var options = services.AddOptions<OrbitMeshServerOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(OrbitMeshMarkerService)))
        {
            return builder;
        }

        services.AddSingleton<OrbitMeshMarkerService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrbitMeshServerOptions>, OrbitMeshServerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        services.AddMetrics();
        services.TryAddSingleton<OrbitMeshMetrics>();
        services.TryAddSingleton(sp =>
        {
            // Only this host's OrbitMesh meter: other servers in the same process have their own factory.
            var factory = sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            return new PrometheusMetricsCollector(instrument => instrument.Meter.Name == OrbitMesh.Diagnostics.OrbitMeshDiagnostics.Name && ReferenceEquals(instrument.Meter.Scope, factory));
        });
        services.TryAddSingleton<HandshakeAdmission>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, HandshakeAdmissionStartupFilter>());
        services.TryAddSingleton<HeartbeatSchedule>();
        services.TryAddSingleton<AgentSlots>();
        services.TryAddSingleton<AgentRegistry>();
        services.TryAddSingleton<IJobStore>(_ => throw MissingStorage());
        services.TryAddSingleton<IEventStore>(_ => throw MissingStorage());
        services.TryAddSingleton<IAgentStore>(_ => throw MissingStorage());
        services.TryAddSingleton<ISecurityStore>(_ => throw MissingStorage());
        services.TryAddSingleton<IStorageHealth>(_ => throw MissingStorage());
        // Modules are kept in memory unless the storage provider keeps them (SQLite does).
        services.TryAddSingleton<IModuleStore, InMemoryModuleStore>();
        services.TryAddSingleton<AgentLifecycleService>();
        services.TryAddSingleton<OrbitMesh.Server.Twins.TwinService>();
        services.TryAddSingleton<JobRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRetentionService>());
        services.TryAddSingleton<IAgentSelector, LeastLoadedAgentSelector>();
        services.TryAddSingleton<AgentResilience>();
        services.AddDataProtection();
        services.TryAddSingleton<JobSecrets>();
        services.TryAddSingleton<OrbitMesh.Workflows.IWorkflowSecretProtector, WorkflowSecretProtector>();
        services.AddHostedService<MeshEventBridge>();
        services.TryAddSingleton(OrbitMesh.Server.Cluster.JobOwnership.Single);
        services.TryAddSingleton<JobManager>();
        services.TryAddSingleton<JobDispatcherService>();
        services.AddHostedService(sp => sp.GetRequiredService<JobDispatcherService>());
        services.TryAddSingleton<IAgentRegistry>(sp => sp.GetRequiredService<AgentRegistry>());
        services.TryAddSingleton<OrbitMesh.Server.Cluster.IClusterDirectory, OrbitMesh.Server.Cluster.SingleServerDirectory>();
        services.TryAddSingleton<UnregisteredConnections>();
        services.TryAddSingleton<ConnectionCloser>();
        services.TryAddSingleton<AgentTokenValidator>();
        services.TryAddSingleton<SecurityAudit>();
        services.TryAddSingleton<OrbitMesh.Server.Security.Nodes.BootstrapTokenService>();
        services.TryAddSingleton<OrbitMesh.Server.Security.Nodes.CertificateAuthority>();
        services.TryAddSingleton<OrbitMesh.Server.Security.Nodes.NodeChallenges>();
        services.TryAddSingleton<OrbitMesh.Server.Security.Nodes.NodeConnections>();
        services.TryAddSingleton<OrbitMesh.Server.Security.Nodes.NodeService>();
        services.TryAddSingleton<ServerMeshClient>();
        services.TryAddSingleton<IMeshClient>(sp => sp.GetRequiredService<ServerMeshClient>());
        services.TryAddSingleton<AgentMonitorService>();
        services.AddHostedService(sp => sp.GetRequiredService<AgentMonitorService>());

        // AddHubOptions registers SignalR's per-hub options setup; without it the hub ignores
        // HubOptions<AgentHub> (its filter, message size limit, detailed errors and parallelism).
        // The hub speaks JSON and MessagePack; each client chooses in its handshake (docs/protocol.md §2).
        services.AddSignalR()
            .AddJsonProtocol(o => OrbitMeshJson.Configure(o.PayloadSerializerOptions))
            .AddOrbitMeshMessagePackProtocol()
            .AddHubOptions<AgentHub>(_ => { });
        services.AddOptions<HubOptions<AgentHub>>().Configure<IOptions<OrbitMeshServerOptions>>((hub, mesh) =>
        {
            var settings = mesh.Value;
            hub.MaximumReceiveMessageSize = settings.MaximumMessageSize;
            hub.KeepAliveInterval = settings.KeepAliveInterval;
            hub.ClientTimeoutInterval = settings.ClientTimeoutInterval;
            hub.EnableDetailedErrors = true; // Exceptions are sanitized by AgentHubFilter; protocol errors then reach the client with their reason.
            hub.MaximumParallelInvocationsPerClient = settings.MaxParallelInvocationsPerAgent;
            hub.StreamBufferCapacity = 64;
            hub.AddFilter<AgentHubFilter>();
        });

        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, AgentTokenAuthenticationHandler>(AgentAuthenticationDefaults.Scheme, configureOptions: null);
        services.AddAuthorizationBuilder().AddPolicy(AgentAuthenticationDefaults.PolicyName, policy =>
            policy.AddAuthenticationSchemes(AgentAuthenticationDefaults.Scheme).RequireAuthenticatedUser());

        services.AddOrbitMeshSecurity();

        // Last, so that the storage (opened by the services above) reports an unusable data directory first.
        services.AddHostedService<OrbitMesh.Server.Security.Nodes.CertificateAuthority.Loader>();

        services.AddHealthChecks().AddCheck<OrbitMeshReadinessCheck>("orbitmesh", tags: [OrbitMeshEndpointRouteBuilderExtensions.ReadyTag]);
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// Keeps jobs, events and agents in memory. Nothing survives a restart: for tests only. Servers use
    /// <c>.UseSqlite(path)</c> (the embedded default) or PostgreSQL.
    /// </summary>
    public static IOrbitMeshServerBuilder UseInMemoryStorage(this IOrbitMeshServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IJobStore, InMemoryJobStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IEventStore, InMemoryEventStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IAgentStore, InMemoryAgentStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<ISecurityStore, InMemorySecurityStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IModuleStore, InMemoryModuleStore>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IStorageHealth, AlwaysHealthyStorage>());
        return builder;
    }

    private static InvalidOperationException MissingStorage() =>
        new("No OrbitMesh storage provider is configured: call services.AddOrbitMesh(...).UseSqlite(path) (or .UseInMemoryStorage() in tests).");
}
