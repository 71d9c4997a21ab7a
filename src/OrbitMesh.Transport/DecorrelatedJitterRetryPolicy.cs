namespace OrbitMesh.Transport;

/// <summary>
/// Exponential backoff with decorrelated jitter: each delay is drawn uniformly between the base delay
/// and three times the previous delay, capped at <see cref="MaxDelay"/>. The first delay is drawn
/// between zero and the base delay, so a fleet that lost its server at the same instant does not come
/// back at the same instant. A server's <c>Retry-After</c> is honoured on top of the jitter.
/// </summary>
public sealed class DecorrelatedJitterRetryPolicy : IRetryPolicy
{
    /// <summary>The default base delay: 500 ms.</summary>
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The default cap: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);

    private readonly Func<double> _random;

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
        if (MaxElapsed is { } limit && retryContext.ElapsedTime >= limit)
        {
            return null;
        }

        double delayMs;
        if (retryContext.PreviousDelay is not { } previous || retryContext.PreviousRetryCount == 0)
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

        if (retryContext.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero)
        {
            // The server asked for at least this long; add up to one base delay of jitter so that
            // everybody it answered the same way does not return in the same instant.
            delayMs = Math.Max(delayMs, retryAfter.TotalMilliseconds + (_random() * BaseDelay.TotalMilliseconds));
        }

        return TimeSpan.FromMilliseconds(delayMs);
    }
}
