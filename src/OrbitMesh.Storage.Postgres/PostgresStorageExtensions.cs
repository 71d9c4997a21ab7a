using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;
using OrbitMesh.Hosting;
using OrbitMesh.Storage;
using OrbitMesh.Storage.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PostgreSQL storage provider.</summary>
public static class PostgresStorageExtensions
{
    /// <summary>
    /// Stores jobs, events, twins, workflow runs, agents, security records and the audit trail in PostgreSQL, in the schema
    /// <see cref="PostgresStorageOptions.Schema"/> (created and migrated at start; refused when it was written by a newer
    /// OrbitMesh or belongs to another application). Servers that name the same database and schema share one store.
    /// </summary>
    public static IOrbitMeshServerBuilder UsePostgres(this IOrbitMeshServerBuilder builder, string connectionString, Action<PostgresStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var options = new PostgresStorageOptions { ConnectionString = connectionString };
        configure?.Invoke(options);

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new PostgresDatabase(options, sp.GetRequiredService<ILogger<PostgresDatabase>>()));
        services.AddSingleton<PostgresJobStore>();
        services.AddSingleton<PostgresEventStore>();
        services.AddSingleton<PostgresAgentStore>();
        services.AddSingleton<PostgresSecurityStore>();
        services.AddSingleton<PostgresModuleStore>();
        services.AddSingleton<PostgresJobClaimStore>();
        services.Replace(ServiceDescriptor.Singleton<IJobClaimStore>(sp => sp.GetRequiredService<PostgresJobClaimStore>()));
        services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<PostgresJobStore>()));
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>()));
        services.Replace(ServiceDescriptor.Singleton<IAgentStore>(sp => sp.GetRequiredService<PostgresAgentStore>()));
        services.Replace(ServiceDescriptor.Singleton<ISecurityStore>(sp => sp.GetRequiredService<PostgresSecurityStore>()));
        services.Replace(ServiceDescriptor.Singleton<IModuleStore>(sp => sp.GetRequiredService<PostgresModuleStore>()));
        services.Replace(ServiceDescriptor.Singleton<IStorageHealth>(sp => sp.GetRequiredService<PostgresDatabase>()));

        // The servers of a cluster share Data Protection's keys through the database (secret parameters sealed on one are opened on another).
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(sp.GetRequiredService<PostgresDatabase>())));
        return builder;
    }
}
