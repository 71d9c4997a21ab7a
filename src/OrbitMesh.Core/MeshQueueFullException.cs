namespace OrbitMesh;

/// <summary>The dispatcher's queue is full; retry after <see cref="OrbitMeshException.RetryAfter"/>.</summary>
public sealed class MeshQueueFullException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public MeshQueueFullException()
        : this("The job queue is full.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshQueueFullException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshQueueFullException(string message, Exception? innerException)
        : base("queue_full", message, innerException, isRetryable: true, retryAfter: TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>Creates the exception with a retry hint.</summary>
    public MeshQueueFullException(string message, TimeSpan retryAfter)
        : base("queue_full", message, null, isRetryable: true, retryAfter: retryAfter)
    {
    }
}
