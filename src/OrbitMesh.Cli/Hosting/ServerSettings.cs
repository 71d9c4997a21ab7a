using Microsoft.Extensions.Logging;

namespace OrbitMesh.Cli.Hosting;

/// <summary>What the <c>server</c> command (and the demo) configure.</summary>
internal sealed record ServerSettings
{
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    public IReadOnlyList<string> AgentTokens { get; init; } = [];

    public string? ApiKey { get; init; }

    public TimeSpan? HeartbeatInterval { get; init; }

    public int? MissedHeartbeats { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public bool JsonLogs { get; init; }
}
