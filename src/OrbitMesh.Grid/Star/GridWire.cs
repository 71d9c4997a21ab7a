namespace OrbitMesh.Grid.Star;

/// <summary>One batch of a scan, as a star streams it.</summary>
internal sealed record ScanBatch(IReadOnlyList<GridEntry> Entries);

/// <summary>One chunk of a file's bytes, base64 in JSON.</summary>
internal sealed record ChunkReply(long Offset, byte[] Data);

/// <summary>What a write left: the file's length after it.</summary>
internal sealed record WriteReply(long Length);
