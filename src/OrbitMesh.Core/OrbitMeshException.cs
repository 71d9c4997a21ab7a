namespace OrbitMesh;

/// <summary>
/// The root of every exception OrbitMesh throws on purpose. Carries a stable <see cref="Code"/> and
/// whether retrying may help.
/// </summary>
public class OrbitMeshException : Exception
{
    /// <summary>Creates an exception with the <see cref="MeshErrorCodes.Internal"/> code.</summary>
    public OrbitMeshException()
        : this(MeshErrorCodes.Internal, "An OrbitMesh operation failed.")
    {
    }

    /// <summary>Creates an exception with the <see cref="MeshErrorCodes.Internal"/> code.</summary>
    public OrbitMeshException(string message)
        : this(MeshErrorCodes.Internal, message)
    {
    }

    /// <summary>Creates an exception with the <see cref="MeshErrorCodes.Internal"/> code and an inner exception.</summary>
    public OrbitMeshException(string message, Exception? innerException)
        : this(MeshErrorCodes.Internal, message, innerException)
    {
    }

    /// <summary>Creates an exception with a code.</summary>
    public OrbitMeshException(string code, string message, Exception? innerException = null, bool isRetryable = false, TimeSpan? retryAfter = null)
        : base(message, innerException)
    {
        Code = code;
        IsRetryable = isRetryable;
        RetryAfter = retryAfter;
    }

    /// <summary>A stable machine-readable code, see <see cref="MeshErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>True when the same call may succeed later.</summary>
    public bool IsRetryable { get; }

    /// <summary>How long to wait before retrying, when known.</summary>
    public TimeSpan? RetryAfter { get; }
}
