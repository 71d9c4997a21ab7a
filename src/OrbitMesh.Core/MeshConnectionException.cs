namespace OrbitMesh;

/// <summary>
/// A connection to the server could not be made or was refused.
/// </summary>
public class MeshConnectionException : OrbitMeshException
{
    /// <summary>Creates an exception.</summary>
    public MeshConnectionException()
        : this("The connection failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshConnectionException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshConnectionException(string message, Exception? innerException)
        : this("connection_failed", message, innerException, isRetryable: true)
    {
    }

    /// <summary>Creates an exception with a code.</summary>
    public MeshConnectionException(string code, string message, Exception? innerException, bool isRetryable, TimeSpan? retryAfter = null)
        : base(code, message, innerException, isRetryable, retryAfter)
    {
    }
}
