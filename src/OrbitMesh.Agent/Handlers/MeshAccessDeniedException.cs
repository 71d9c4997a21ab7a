namespace OrbitMesh.Agent;

/// <summary>A handler refused to touch something it is not allowed to (a path outside the allow-list); reported as <see cref="MeshErrorCodes.NotAllowed"/>.</summary>
public sealed class MeshAccessDeniedException : OrbitMeshException
{
    /// <summary>Creates an exception.</summary>
    public MeshAccessDeniedException()
        : this("Access denied.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshAccessDeniedException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshAccessDeniedException(string message, Exception? innerException)
        : base(MeshErrorCodes.NotAllowed, message, innerException)
    {
    }
}
