using System.Collections;

namespace OrbitMesh.Diagnostics;

/// <summary>
/// A logging scope carrying the agent id and, when there is one, the job id: pass it to
/// <c>ILogger.BeginScope</c> so every entry logged inside names them (as <c>AgentId</c> and
/// <c>JobId</c> in JSON logs and OpenTelemetry log records). The trace id comes from the current
/// activity when the logger factory tracks it (<c>ActivityTrackingOptions.TraceId</c>).
/// </summary>
/// <param name="AgentId">The agent, or null.</param>
/// <param name="JobId">The job, or null.</param>
public sealed record MeshLogScope(string? AgentId, string? JobId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <inheritdoc />
    public int Count => 2;

    /// <inheritdoc />
    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("AgentId", AgentId),
        1 => new("JobId", JobId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>How the console formatter shows the scope.</summary>
    public override string ToString() => JobId is null ? $"agent {AgentId}" : $"agent {AgentId}, job {JobId}";
}
