namespace OrbitMesh.Grid;

/// <summary>What a direct-link token allows: one range of one file, pushed by one star to another, for one job, until it expires, once.</summary>
/// <param name="JobId">The copy job the link belongs to.</param>
/// <param name="SourceNodeId">The star that pushes the bytes.</param>
/// <param name="TargetNodeId">The star that receives them.</param>
/// <param name="Path">The path on the target the bytes are written to.</param>
/// <param name="Offset">Where the range starts.</param>
/// <param name="Length">How many bytes the range holds.</param>
/// <param name="ExpiresAt">When the token stops being accepted.</param>
/// <param name="Nonce">A random value that makes the token single-use.</param>
public sealed record GridLinkClaims(string JobId, string SourceNodeId, string TargetNodeId, string Path, long Offset, long Length, DateTimeOffset ExpiresAt, string Nonce);
