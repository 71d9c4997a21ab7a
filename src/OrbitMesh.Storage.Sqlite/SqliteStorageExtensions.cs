using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OrbitMesh.Hosting;
using OrbitMesh.Storage;
using OrbitMesh.Storage.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SQLite storage provider.</summary>
public static class SqliteStorageExtensions
{
    /// <summary>
    /// Stores jobs, events, twins, agents and security records (tokens, nodes, users, the audit trail) in one SQLite file at <paramref name="path"/> (created with
    /// its directory when missing; refused when it is not a healthy OrbitMesh database of a known schema).
    /// </summary>
    public static IOrbitMeshServerBuilder UseSqlite(this IOrbitMeshServerBuilder builder, string path, Action<SqliteStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var options = new SqliteStorageOptions { Path = path };
        configure?.Invoke(options);
        SettingsValidation.ThrowIfInvalid(options, "SQLite storage");

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new SqliteDatabase(options, sp.GetRequiredService<ILogger<SqliteDatabase>>()));
        services.AddSingleton<SqliteJobStore>();
        services.AddSingleton<SqliteEventStore>();
        services.AddSingleton<SqliteAgentStore>();
        services.AddSingleton<SqliteSecurityStore>();
        services.AddSingleton<SqliteModuleStore>();
        services.Replace(ServiceDescriptor.Singleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>()));
        services.Replace(ServiceDescriptor.Singleton<IEventStore>(sp => sp.GetRequiredService<SqliteEventStore>()));
        services.Replace(ServiceDescriptor.Singleton<IAgentStore>(sp => sp.GetRequiredService<SqliteAgentStore>()));
        services.Replace(ServiceDescriptor.Singleton<ISecurityStore>(sp => sp.GetRequiredService<SqliteSecurityStore>()));
        services.Replace(ServiceDescriptor.Singleton<IModuleStore>(sp => sp.GetRequiredService<SqliteModuleStore>()));
        services.Replace(ServiceDescriptor.Singleton<IStorageHealth>(sp => sp.GetRequiredService<SqliteDatabase>()));
        return builder;
    }
}
