namespace OrbitMesh.Agent;

/// <summary>
/// A handler failed for a reason it names with its own error code (e.g. a sandboxed module ran out of
/// fuel): the job fails with that code and this message, not with <see cref="MeshErrorCodes.HandlerFailed"/>.
/// </summary>
public sealed class MeshHandlerException : OrbitMeshException
{
    /// <summary>Creates an exception with the generic handler failure code.</summary>
    public MeshHandlerException()
        : this(MeshErrorCodes.HandlerFailed, "The handler failed.")
    {
    }

    /// <summary>Creates an exception with the generic handler failure code and a message.</summary>
    public MeshHandlerException(string message)
        : this(MeshErrorCodes.HandlerFailed, message)
    {
    }

    /// <summary>Creates an exception with the generic handler failure code, a message and an inner exception.</summary>
    public MeshHandlerException(string message, Exception? innerException)
        : base(MeshErrorCodes.HandlerFailed, message, innerException)
    {
    }

    /// <summary>Creates an exception with an error code (lower_snake_case) and a message.</summary>
    public MeshHandlerException(string code, string message, Exception? innerException = null)
        : base(code, message, innerException)
    {
    }
}
