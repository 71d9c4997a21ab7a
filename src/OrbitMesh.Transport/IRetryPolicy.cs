namespace OrbitMesh.Transport;

/// <summary>
/// Decides how long to wait before the next reconnect attempt, or to stop trying.
/// </summary>
public interface IRetryPolicy
{
    /// <summary>
    /// The delay before the next attempt, or null to give up (the connection then closes).
    /// </summary>
    TimeSpan? NextRetryDelay(RetryContext retryContext);
}
