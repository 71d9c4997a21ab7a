namespace OrbitMesh.Grid;

/// <summary>What a direct-link copy did.</summary>
/// <param name="JobId">The link's job id (in the stars' logs).</param>
/// <param name="Bytes">The file's length.</param>
/// <param name="Blake3">The whole file's BLAKE3 digest, checked by the receiving star.</param>
/// <param name="Attempts">How many pushes it took (more than 1 when a broken link resumed).</param>
/// <param name="ResumedFrom">The offsets later pushes started at, one per resume.</param>
/// <param name="Elapsed">How long the copy took.</param>
public sealed record GridLinkCopyResult(string JobId, long Bytes, string Blake3, int Attempts, IReadOnlyList<long> ResumedFrom, TimeSpan Elapsed);
