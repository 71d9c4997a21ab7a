namespace OrbitMesh.Grid;

/// <summary>Sizes the grid keeps to, so that no hub message exceeds the server's default 1 MiB limit.</summary>
public static class GridLimits
{
    /// <summary>The longest header <see cref="IOrbitSystem.ReadHeaderAsync"/> returns: 64 KiB.</summary>
    public const int MaxHeaderLength = 64 * 1024;

    /// <summary>The largest chunk a read or write moves in one message through the mesh: 512 KiB (about 683 KiB as base64).</summary>
    public const int MaxChunkLength = 512 * 1024;

    /// <summary>The most entries a star sends in one scan batch.</summary>
    public const int MaxScanBatchEntries = 1000;

    /// <summary>The most path characters a star sends in one scan batch (256 Ki), so that long paths keep a batch well under 1 MiB.</summary>
    public const int MaxScanBatchPathChars = 256 * 1024;
}
