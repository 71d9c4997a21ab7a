namespace OrbitMesh.Grid;

/// <summary>One entry of a scan.</summary>
/// <param name="Path">The path relative to the scanned directory, with '/' between components.</param>
/// <param name="Size">The size in bytes of a file; 0 for anything else.</param>
/// <param name="ModifiedAt">When it was last written.</param>
/// <param name="Kind">What it is.</param>
public sealed record GridEntry(string Path, long Size, DateTimeOffset ModifiedAt, GridEntryKind Kind);
