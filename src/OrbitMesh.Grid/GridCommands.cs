namespace OrbitMesh.Grid;

/// <summary>The commands a star agent handles (registered by <c>AddGridHandlers</c>), and the capability it declares.</summary>
public static class GridCommands
{
    /// <summary>The capability a star declares, to find stars with <c>AgentTarget.WithCapability</c>.</summary>
    public const string Capability = "grid";

    /// <summary>Streams a directory's entries in batches (a streaming job).</summary>
    public const string Scan = "grid.scan";

    /// <summary>One entry, or null.</summary>
    public const string Stat = "grid.stat";

    /// <summary>The first bytes of a file.</summary>
    public const string Header = "grid.header";

    /// <summary>The digest of a range, computed on the star.</summary>
    public const string Hash = "grid.hash";

    /// <summary>One chunk of a file.</summary>
    public const string Read = "grid.read";

    /// <summary>Writes one chunk of a file.</summary>
    public const string Write = "grid.write";

    /// <summary>Tells a receiving star to expect a direct-link push (sent by the server).</summary>
    public const string LinkExpect = "grid.link.expect";

    /// <summary>Tells a star to push a file's range to another star's data endpoint (sent by the server).</summary>
    public const string LinkPush = "grid.link.push";
}
