using Microsoft.Extensions.Logging;

namespace OrbitMesh.Cli.Hosting;

/// <summary>What the <c>server</c> command (and the demo) configure.</summary>
internal sealed record ServerSettings
{
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Where the server keeps its data (the SQLite file is <c>orbitmesh.db</c> inside).</summary>
    public string DataDirectory { get; init; } = "orbitmesh-data";

    /// <summary><c>sqlite</c> (the default) or <c>memory</c> (nothing survives a restart).</summary>
    public string Storage { get; init; } = "sqlite";

    public IReadOnlyList<string> AgentTokens { get; init; } = [];

    public string? ApiKey { get; init; }

    /// <summary>--insecure-development: unauthenticated API requests from any address act as admin.</summary>
    public bool InsecureDevelopment { get; init; }

    public TimeSpan? HeartbeatInterval { get; init; }

    public int? MissedHeartbeats { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public bool JsonLogs { get; init; }

    /// <summary>Where to export traces and metrics over OTLP/HTTP; null for no export.</summary>
    public string? OtlpEndpoint { get; init; }
}
