namespace OrbitMesh.Grid;

/// <summary>A copied file's digest on the target differs from the source's: the copy is not trusted.</summary>
public sealed class GridDigestMismatchException : OrbitMeshException
{
    /// <summary>The error code: <c>digest_mismatch</c>.</summary>
    public const string ErrorCode = "digest_mismatch";

    /// <summary>Creates an exception.</summary>
    public GridDigestMismatchException()
        : this("The digests differ.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public GridDigestMismatchException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public GridDigestMismatchException(string message, Exception? innerException)
        : base(ErrorCode, message, innerException)
    {
    }
}
