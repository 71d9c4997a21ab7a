namespace OrbitMesh.Grid;

/// <summary>What a copy did.</summary>
/// <param name="Files">The files copied, each with the BLAKE3 digest both sides agreed on.</param>
/// <param name="Bytes">The bytes copied.</param>
/// <param name="Elapsed">How long it took.</param>
public sealed record GridCopyResult(IReadOnlyList<GridCopiedFile> Files, long Bytes, TimeSpan Elapsed);

/// <summary>One copied file.</summary>
/// <param name="Path">Its path relative to the copy's source (its name when a single file was copied).</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Blake3">Its BLAKE3 digest, the same on both sides.</param>
public sealed record GridCopiedFile(string Path, long Size, string Blake3);
