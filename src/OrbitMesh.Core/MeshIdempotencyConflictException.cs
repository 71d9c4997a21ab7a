namespace OrbitMesh;

/// <summary>
/// A job was submitted with the idempotency key of an earlier job but a different request: the same key
/// must mean the same work, so the submission is refused (REST: 409) rather than answered with the
/// earlier job. <see cref="Differences"/> names what differs.
/// </summary>
public sealed class MeshIdempotencyConflictException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public MeshIdempotencyConflictException()
        : this("The idempotency key was used for a different request.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshIdempotencyConflictException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MeshIdempotencyConflictException(string message, Exception? innerException)
        : base("idempotency_conflict", message, innerException)
    {
    }

    /// <summary>Creates the exception for the job <paramref name="existingJobId"/> and what differs from it.</summary>
    public MeshIdempotencyConflictException(string idempotencyKey, string existingJobId, IReadOnlyList<string> differences)
        : base("idempotency_conflict",
            $"The idempotency key '{idempotencyKey}' was used for job {existingJobId} with a different request ({string.Join("; ", differences ?? [])}); use a new key for different work.")
    {
        ExistingJobId = existingJobId;
        Differences = differences ?? [];
    }

    /// <summary>The job the key belongs to.</summary>
    public string? ExistingJobId { get; }

    /// <summary>What differs from the earlier request (command, target, pattern, parameters).</summary>
    public IReadOnlyList<string> Differences { get; } = [];
}
