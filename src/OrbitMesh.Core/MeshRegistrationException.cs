namespace OrbitMesh;

/// <summary>The server refused an agent's registration (or the registration is invalid). Not retryable as it is.</summary>
public sealed class MeshRegistrationException : OrbitMeshException
{
    /// <summary>Creates an exception.</summary>
    public MeshRegistrationException()
        : this("The registration was refused.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshRegistrationException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshRegistrationException(string message, Exception? innerException)
        : base("registration_refused", message, innerException)
    {
    }
}
