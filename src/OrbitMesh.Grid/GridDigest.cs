namespace OrbitMesh.Grid;

/// <summary>The digest of a range of a file.</summary>
/// <param name="Algorithm">How it was computed.</param>
/// <param name="Offset">Where the range starts.</param>
/// <param name="Length">How many bytes were hashed (the range cut at the end of the file).</param>
/// <param name="Hex">The digest, lowercase hexadecimal.</param>
public sealed record GridDigest(GridHashAlgorithm Algorithm, long Offset, long Length, string Hex);
