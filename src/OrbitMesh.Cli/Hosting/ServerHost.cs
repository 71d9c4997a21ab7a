using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Hosting;

/// <summary>Builds the server the <c>server</c> and <c>demo</c> commands run.</summary>
internal static class ServerHost
{
    /// <summary>Where the server serves the admin dashboard.</summary>
    public const string DashboardPath = "/dashboard";

    public static WebApplication Build(ServerSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(settings.Urls);
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(10));
        if (settings.Certificate is { } certificate)
        {
            ConfigureHttps(builder.WebHost, certificate, settings.ClientCertificates);
        }

        CliLogging.Configure(builder.Logging, settings.LogLevel, settings.JsonLogs);

        // Data Protection encrypts secret job parameters at rest. With SQLite its keys live beside the
        // database (DATA/keys, readable by the server's user only), so a restarted server can still
        // decrypt them; with PostgreSQL they live in the database, shared by the cluster's servers (UsePostgres
        // sets that up); with in-memory storage nothing survives anyway, so neither do the keys.
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("OrbitMesh");
        if (settings.Storage == "sqlite")
        {
            dataProtection.PersistKeysToFileSystem(KeyDirectory(settings.DataDirectory));
        }
        else if (settings.Storage == "memory")
        {
            dataProtection.UseEphemeralDataProtectionProvider();
        }

        var mesh = builder.Services.AddOrbitMesh(o =>
        {
            foreach (var token in settings.AgentTokens)
            {
                o.AgentTokens.Add(token);
            }

            o.ApiKey = settings.ApiKey;

            // The node CA's key lives beside the database (DATA/ca/ca.key, 0600): certificates stay valid across restarts.
            o.Security.CertificateAuthorityDirectory = settings.Storage == "memory" ? null : Path.Combine(settings.DataDirectory, "ca");
            // The API requires credentials (a user's token or an API key), except in named development mode.
            o.Security.AllowAnonymousLoopbackApi = settings.InsecureDevelopment;
            o.Security.InsecureDevelopmentMode = settings.InsecureDevelopment;
            o.AllowStatefulReconnects = settings.AllowStatefulReconnects;
            if (settings.HeartbeatInterval is { } interval)
            {
                o.HeartbeatInterval = interval;
            }

            if (settings.MissedHeartbeats is { } missed)
            {
                o.MissedHeartbeatsAllowed = missed;
            }

            if (settings.AccessTokenLifetime is { } access)
            {
                o.Security.AccessTokenLifetime = access;
            }

            if (settings.RefreshTokenLifetime is { } refresh)
            {
                o.Security.RefreshTokenLifetime = refresh;
            }
        });
        switch (settings.Storage)
        {
            case "sqlite":
                mesh.UseSqlite(Path.Combine(settings.DataDirectory, "orbitmesh.db"));
                break;
            case "postgres":
                mesh.UsePostgres(
                    settings.ConnectionString ?? throw new CliException("--storage postgres needs --connection-string \"Host=...;Username=...;Password=...;Database=...\" (or $ORBITMESH_CONNECTION_STRING)."),
                    o => o.Schema = settings.PostgresSchema ?? o.Schema);
                break;
            case "memory":
                mesh.UseInMemoryStorage();
                break;
            default:
                throw new CliException($"--storage '{settings.Storage}' is not supported; use sqlite, postgres or memory.");
        }

        if (settings.Redis is { } redis)
        {
            if (settings.Storage != "postgres")
            {
                throw new CliException("--redis joins servers that share one store: use it with --storage postgres.");
            }

            mesh.UseRedisBackplane(redis, o =>
            {
                o.ServerId = settings.ServerId ?? o.ServerId;
                o.ChannelPrefix = settings.RedisPrefix ?? o.ChannelPrefix;
            });
        }

        builder.Services.AddOrbitMeshWorkflows();
        builder.Services.AddGridLinkCopier();
        if (settings.Dashboard)
        {
            builder.Services.AddOrbitMeshDashboard();
        }

        CliTelemetry.AddTo(builder.Services, "orbitmesh-server", settings.OtlpEndpoint, metrics: true);

        var app = builder.Build();
        app.MapOrbitMesh();
        app.MapGridLinkCopies(OrbitMesh.Server.Security.OrbitMeshPolicies.Operator);
        if (settings.Dashboard)
        {
            app.MapOrbitMeshDashboard(DashboardPath);
        }

        return app;
    }

    /// <summary>
    /// TLS on every https URL with <paramref name="certificate"/>. When clients are asked for a certificate,
    /// the TLS layer accepts any one (self-signed, unknown issuer): whether it is trusted is the
    /// application's decision (enrollment validates it against the server's CA), so a certificate that
    /// fails here would only lose the reason. With <see cref="ClientCertificateMode.RequireCertificate"/>
    /// a client without one cannot complete the handshake.
    /// </summary>
    private static void ConfigureHttps(IWebHostBuilder webHost, X509Certificate2 certificate, ClientCertificateMode clientCertificates)
    {
        // The slim builder leaves out the https part of Kestrel's configuration, which https URLs need.
        webHost.UseKestrelHttpsConfiguration();
        webHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = certificate;
            https.ClientCertificateMode = clientCertificates;
            if (clientCertificates != ClientCertificateMode.NoCertificate)
            {
                https.ClientCertificateValidation = static (_, _, _) => true;
            }
        }));
    }

    /// <summary>DATA/keys, created readable and writable by the current user only.</summary>
    private static DirectoryInfo KeyDirectory(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "keys");
        try
        {
            return OperatingSystem.IsWindows()
                ? Directory.CreateDirectory(path)
                : Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unwritable data directory is reported by the storage, which names the database file.
            return new DirectoryInfo(path);
        }
    }
}
