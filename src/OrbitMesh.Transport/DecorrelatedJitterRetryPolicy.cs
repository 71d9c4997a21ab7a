using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Transport;

/// <summary>
/// Exponential backoff with decorrelated jitter: each delay is drawn uniformly between the base delay
/// and three times the previous delay, capped at <see cref="MaxDelay"/>. The first delay is drawn
/// between zero and the base delay, so a fleet that lost its server at the same instant does not come
/// back at the same instant. A server's <c>Retry-After</c> is honoured on top of the jitter.
/// </summary>
/// <remarks>
/// The official client's own policies retry at fixed delays (0, 2, 10 and 30 s by default), so a fleet that
/// lost its server together comes back together; this one spreads it out. It reads the server's
/// <c>Retry-After</c> from the failure of the previous attempt (<see cref="MeshConnectFailure"/>), which the
/// official <see cref="RetryContext"/> does not carry. One instance serves one connection: it remembers the
/// delay it gave last.
/// </remarks>
public sealed class DecorrelatedJitterRetryPolicy : IRetryPolicy
{
    /// <summary>The default base delay: 500 ms.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default cap: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);

    private readonly Func<double> _random;
    private TimeSpan? _previous;

    /// <summary>Creates a policy that retries forever with the default delays.</summary>
    public DecorrelatedJitterRetryPolicy()
        : this(DefaultBaseDelay, DefaultMaxDelay)
    {
    }

    /// <summary>Creates a policy.</summary>
    /// <param name="baseDelay">The smallest delay after the first attempt.</param>
    /// <param name="maxDelay">The largest delay.</param>
    /// <param name="maxElapsed">Give up once reconnecting has taken this long; null to retry forever.</param>
    /// <param name="random">A source of uniform numbers in [0, 1); <see cref="Random.Shared"/> when null.</param>
    public DecorrelatedJitterRetryPolicy(TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan? maxElapsed = null, Func<double>? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
        MaxElapsed = maxElapsed;
        _random = random ?? Random.Shared.NextDouble;
    }

    /// <summary>The smallest delay after the first attempt.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>The largest delay.</summary>
    public TimeSpan MaxDelay { get; }

    /// <summary>When to give up; null for never.</summary>
    public TimeSpan? MaxElapsed { get; }

    /// <inheritdoc />
    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        ArgumentNullException.ThrowIfNull(retryContext);
        var previous = retryContext.PreviousRetryCount == 0 ? null : _previous;
        var delay = NextDelay(retryContext.PreviousRetryCount, retryContext.ElapsedTime, previous, MeshConnectFailure.RetryAfterOf(retryContext.RetryReason));
        _previous = delay;
        return delay;
    }

    /// <summary>
    /// The delay before attempt <paramref name="previousRetryCount"/> + 1, or null to give up: the policy itself,
    /// for callers that keep their own attempt count (the agent's first connect, say).
    /// </summary>
    /// <param name="previousRetryCount">Attempts that failed so far (0 before the first retry).</param>
    /// <param name="elapsed">Time spent retrying so far.</param>
    /// <param name="previousDelay">The delay given for the previous attempt; null before the first.</param>
    /// <param name="retryAfter">A delay the server asked for (HTTP 429 or 503 with <c>Retry-After</c>).</param>
    public TimeSpan? NextDelay(long previousRetryCount, TimeSpan elapsed, TimeSpan? previousDelay, TimeSpan? retryAfter)
    {
        if (MaxElapsed is { } limit && elapsed >= limit)
        {
            return null;
        }

        double delayMs;
        if (previousDelay is not { } previous || previousRetryCount == 0)
        {
            delayMs = _random() * BaseDelay.TotalMilliseconds;
        }
        else
        {
            var low = BaseDelay.TotalMilliseconds;
            var high = Math.Max(low, previous.TotalMilliseconds * 3);
            delayMs = low + (_random() * (high - low));
        }

        delayMs = Math.Min(delayMs, MaxDelay.TotalMilliseconds);

        if (retryAfter is { } wait && wait > TimeSpan.Zero)
        {
            // The server asked for at least this long; add up to one base delay of jitter so that
            // everybody it answered the same way does not return in the same instant.
            delayMs = Math.Max(delayMs, wait.TotalMilliseconds + (_random() * BaseDelay.TotalMilliseconds));
        }

        return TimeSpan.FromMilliseconds(delayMs);
    }
}
