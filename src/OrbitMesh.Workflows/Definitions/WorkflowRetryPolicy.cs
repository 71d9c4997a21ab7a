namespace OrbitMesh.Workflows;

/// <summary>
/// How often a step is attempted and how long the runtime waits between attempts: exponential
/// backoff from <see cref="InitialBackoff"/>, doubling after each failed attempt and capped at
/// <see cref="MaxBackoff"/>, with optional jitter.
/// </summary>
public sealed record WorkflowRetryPolicy
{
    /// <summary>The default initial backoff: one second.</summary>
    public static readonly TimeSpan DefaultInitialBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The default cap on the backoff: five minutes.</summary>
    public static readonly TimeSpan DefaultMaxBackoff = TimeSpan.FromMinutes(5);

    /// <summary>One attempt, no retry: the policy of a step that declares none.</summary>
    public static WorkflowRetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included; 1 means no retry. Default 1, at most <see cref="WorkflowLimits.MaxAttempts"/>.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>The wait after the first failed attempt. Default one second.</summary>
    public TimeSpan InitialBackoff { get; init; } = DefaultInitialBackoff;

    /// <summary>The longest wait between two attempts. Default five minutes, at most <see cref="WorkflowLimits.MaxBackoff"/>.</summary>
    public TimeSpan MaxBackoff { get; init; } = DefaultMaxBackoff;

    /// <summary>
    /// When true (the default), each wait is drawn between half and all of the exponential delay, so
    /// that steps failing together do not retry together.
    /// </summary>
    public bool Jitter { get; init; } = true;

    /// <summary>
    /// The wait before attempt <paramref name="nextAttempt"/> (2 for the first retry):
    /// <c>min(MaxBackoff, InitialBackoff × 2^(nextAttempt − 2))</c>, and with <see cref="Jitter"/>
    /// <c>delay × (0.5 + 0.5 × sample)</c>.
    /// </summary>
    /// <param name="nextAttempt">The attempt about to start, from 2.</param>
    /// <param name="jitterSample">A uniform random number in [0, 1); ignored without jitter.</param>
    public TimeSpan GetBackoff(int nextAttempt, double jitterSample)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextAttempt, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(jitterSample, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(jitterSample, 1.0);

        var cap = Math.Max(0, MaxBackoff.Ticks);
        var delay = (double)Math.Max(0, InitialBackoff.Ticks);
        for (var i = 2; i < nextAttempt && delay < cap; i++)
        {
            delay *= 2;
        }

        delay = Math.Min(delay, cap);
        if (Jitter)
        {
            delay *= 0.5 + (0.5 * jitterSample);
        }

        return TimeSpan.FromTicks((long)delay);
    }
}
