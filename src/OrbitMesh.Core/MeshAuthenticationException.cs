namespace OrbitMesh;

/// <summary>
/// The server refused the connection's credentials (HTTP 401 or 403). Not retryable with the same credentials.
/// </summary>
public sealed class MeshAuthenticationException : MeshConnectionException
{
    /// <summary>Creates an exception.</summary>
    public MeshAuthenticationException()
        : this("The server refused the credentials.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshAuthenticationException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshAuthenticationException(string message, Exception? innerException)
        : base("unauthorized", message, innerException, isRetryable: false)
    {
    }

    /// <summary>The HTTP status code the server answered with.</summary>
    public int StatusCode { get; init; } = 401;
}
