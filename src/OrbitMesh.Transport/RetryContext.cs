namespace OrbitMesh.Transport;

/// <summary>
/// What a <see cref="IRetryPolicy"/> knows when it picks the next delay.
/// </summary>
public sealed class RetryContext
{
    /// <summary>How many attempts failed so far in this reconnect sequence (0 before the first).</summary>
    public long PreviousRetryCount { get; init; }

    /// <summary>Time spent reconnecting so far.</summary>
    public TimeSpan ElapsedTime { get; init; }

    /// <summary>Why the connection was lost, or why the last attempt failed.</summary>
    public Exception? RetryReason { get; init; }

    /// <summary>The delay the policy returned for the previous attempt; null before the first.</summary>
    public TimeSpan? PreviousDelay { get; init; }

    /// <summary>
    /// A delay the server asked for (an HTTP 429 or 503 answer with <c>Retry-After</c>); the policy
    /// should wait at least this long.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }
}
