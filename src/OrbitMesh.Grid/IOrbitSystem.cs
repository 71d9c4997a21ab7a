namespace OrbitMesh.Grid;

/// <summary>
/// The file operations Orbit Grid runs where the data is: on the local disk (<see cref="LocalSystem"/>,
/// standalone) or on a star agent through the mesh (<see cref="RemoteSystem"/>, grid mode). Code written
/// against this interface runs unchanged in both modes.
/// </summary>
/// <remarks>
/// Paths are the system's own: absolute, or relative to the first allowed root of a jailed system (a
/// star, or a <see cref="LocalSystem"/> given a <see cref="Agent.Security.PathAllowList"/>). A path
/// outside the allowed roots is refused with <see cref="MeshErrorCodes.NotAllowed"/>.
/// </remarks>
public interface IOrbitSystem
{
    /// <summary>
    /// Streams every entry under the directory <paramref name="path"/>, recursively (symbolic links are
    /// reported, not followed), each with its path relative to <paramref name="path"/> using '/'.
    /// </summary>
    IAsyncEnumerable<GridEntry> ScanDirectoryAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>The entry at <paramref name="path"/> (its relative path is its file name), or null when nothing is there.</summary>
    Task<GridEntry?> GetEntryAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>The first <paramref name="length"/> bytes of a file (fewer when it is shorter); at most <see cref="GridLimits.MaxHeaderLength"/>.</summary>
    Task<byte[]> ReadHeaderAsync(string path, int length, CancellationToken cancellationToken = default);

    /// <summary>
    /// The digest of the bytes of a file from <paramref name="offset"/>, <paramref name="length"/> bytes
    /// long (null: to the end), computed where the file is: only the digest travels.
    /// </summary>
    Task<GridDigest> HashRangeAsync(string path, long offset = 0, long? length = null, GridHashAlgorithm algorithm = GridHashAlgorithm.Blake3, CancellationToken cancellationToken = default);

    /// <summary>A stream of the bytes of a file from <paramref name="offset"/>, <paramref name="length"/> bytes long (null: to the end).</summary>
    Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// A stream that writes a file from <paramref name="offset"/> on: the file is created (with its
    /// directories) when missing and cut to <paramref name="offset"/> bytes first, so that offset 0
    /// replaces it and a larger offset resumes an interrupted copy. Dispose the stream to finish.
    /// </summary>
    Task<Stream> OpenWriteAsync(string path, long offset = 0, CancellationToken cancellationToken = default);
}
