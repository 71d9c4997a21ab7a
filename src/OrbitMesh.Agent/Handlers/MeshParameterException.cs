namespace OrbitMesh.Agent;

/// <summary>A handler's parameters were missing or of the wrong shape; reported as <see cref="MeshErrorCodes.InvalidParameters"/>.</summary>
public sealed class MeshParameterException : OrbitMeshException
{
    /// <summary>Creates an exception.</summary>
    public MeshParameterException()
        : this("The parameters are not valid.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshParameterException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshParameterException(string message, Exception? innerException)
        : base(MeshErrorCodes.InvalidParameters, message, innerException)
    {
    }
}
