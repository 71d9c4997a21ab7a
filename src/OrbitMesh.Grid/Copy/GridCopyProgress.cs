namespace OrbitMesh.Grid;

/// <summary>How far a copy has come.</summary>
/// <param name="Path">The file being copied, relative to the copy's source.</param>
/// <param name="BytesCopied">Bytes copied so far, over all files.</param>
/// <param name="TotalBytes">Bytes to copy, over all files.</param>
/// <param name="FilesCopied">Files finished so far.</param>
/// <param name="TotalFiles">Files to copy.</param>
public sealed record GridCopyProgress(string Path, long BytesCopied, long TotalBytes, int FilesCopied, int TotalFiles);
