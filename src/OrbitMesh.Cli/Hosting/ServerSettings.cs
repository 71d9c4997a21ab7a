using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Cli.Hosting;

/// <summary>What the <c>server</c> command (and the demo) configure.</summary>
internal sealed record ServerSettings
{
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Where the server keeps its data (the SQLite file is <c>orbitmesh.db</c> inside).</summary>
    public string DataDirectory { get; init; } = "orbitmesh-data";

    /// <summary><c>sqlite</c> (the default), <c>postgres</c> (shared by a cluster) or <c>memory</c> (nothing survives a restart).</summary>
    public string Storage { get; init; } = "sqlite";

    /// <summary>--connection-string (or $ORBITMESH_CONNECTION_STRING): the PostgreSQL database, with <c>--storage postgres</c>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>--redis HOST:PORT: join the servers on this Redis backplane as one mesh.</summary>
    public string? Redis { get; init; }

    /// <summary>--redis-prefix: the prefix of the mesh's Redis keys and channels (default <c>orbitmesh</c>).</summary>
    public string? RedisPrefix { get; init; }

    /// <summary>--server-id: this server's id in the cluster (default: machine name and a random suffix).</summary>
    public string? ServerId { get; init; }

    /// <summary>--postgres-schema: the schema that holds the tables (default <c>orbitmesh</c>).</summary>
    public string? PostgresSchema { get; init; }

    public IReadOnlyList<string> AgentTokens { get; init; } = [];

    public string? ApiKey { get; init; }

    /// <summary>--insecure-development: unauthenticated API requests from any address act as admin.</summary>
    public bool InsecureDevelopment { get; init; }

    /// <summary>Serve the admin dashboard at <see cref="ServerHost.DashboardPath"/> (<c>--no-dashboard</c> turns it off).</summary>
    public bool Dashboard { get; init; } = true;

    public TimeSpan? HeartbeatInterval { get; init; }

    public int? MissedHeartbeats { get; init; }

    /// <summary>--stateful-reconnects: agents may resume a cut connection.</summary>
    public bool AllowStatefulReconnects { get; init; }

    /// <summary>--access-token-lifetime; null for the default (the options' validation checks the range).</summary>
    public TimeSpan? AccessTokenLifetime { get; init; }

    /// <summary>--refresh-token-lifetime; null for the default.</summary>
    public TimeSpan? RefreshTokenLifetime { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public bool JsonLogs { get; init; }

    /// <summary>The certificate to listen with TLS (<c>--https</c>); null for plain HTTP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Whether TLS asks clients for a certificate (<c>--client-certificates</c>). Any certificate is accepted
    /// at the TLS layer; the application validates it later.
    /// </summary>
    public ClientCertificateMode ClientCertificates { get; init; } = ClientCertificateMode.NoCertificate;

    /// <summary>Where to export traces and metrics over OTLP/HTTP; null for no export.</summary>
    public string? OtlpEndpoint { get; init; }
}
