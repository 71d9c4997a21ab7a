using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Polly settings for server→agent calls: a circuit breaker per agent (a flapping agent stops being
/// selected for <see cref="BreakDuration"/>), and retries of communication-level invocations that
/// could not reach the agent.
/// </summary>
public sealed class ResilienceOptions
{
    /// <summary>The failure ratio over <see cref="SamplingDuration"/> that opens an agent's circuit. Default 0.5.</summary>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the sampling window before the ratio counts. Default 4.</summary>
    [Range(2, 10_000)]
    public int MinimumThroughput { get; set; } = 4;

    /// <summary>The window the failure ratio is measured over. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit keeps the agent out of selection. Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries of an invocation whose agent was not connected (for example mid-reconnect). Default 2.</summary>
    [Range(0, 10)]
    public int InvokeRetries { get; set; } = 2;

    /// <summary>The first retry delay of an invocation (exponential, with jitter). Default 200 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan InvokeRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
