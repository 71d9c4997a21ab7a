namespace OrbitMesh;

/// <summary>A request was invalid; <see cref="Errors"/> lists every problem. Not retryable as it is.</summary>
public sealed class MeshValidationException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public MeshValidationException()
        : this(["The request is invalid."])
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshValidationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshValidationException(string message, Exception? innerException)
        : base(MeshErrorCodes.BadRequest, message, innerException)
    {
        Errors = [message];
    }

    /// <summary>Creates the exception from every problem found.</summary>
    public MeshValidationException(IReadOnlyList<string> errors)
        : base(MeshErrorCodes.BadRequest, "The request is invalid: " + string.Join(" ", errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<string> Errors { get; }
}
