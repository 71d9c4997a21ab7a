namespace OrbitMesh.Storage;

/// <summary>
/// Whether storage can take writes. A provider reports a problem (a full disk, an I/O error) here;
/// the server then refuses new work with the reason and reports not-ready, instead of losing data.
/// </summary>
public interface IStorageHealth
{
    /// <summary>Null when writes work; otherwise why they do not.</summary>
    string? Problem { get; }
}

/// <summary>Storage cannot take writes right now (for example, the disk is full).</summary>
public sealed class StorageUnavailableException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public StorageUnavailableException()
        : this("Storage is unavailable.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public StorageUnavailableException(string message)
        : base("storage_unavailable", message, null, isRetryable: true, retryAfter: TimeSpan.FromSeconds(5))
    {
    }

    /// <summary>Creates the exception.</summary>
    public StorageUnavailableException(string message, Exception? innerException)
        : base("storage_unavailable", message, innerException, isRetryable: true, retryAfter: TimeSpan.FromSeconds(5))
    {
    }
}

/// <summary>Storage that never fails: for the in-memory provider.</summary>
public sealed class AlwaysHealthyStorage : IStorageHealth
{
    /// <inheritdoc />
    public string? Problem => null;
}
