namespace OrbitMesh.Protocol;

/// <summary>
/// Limits every registration must respect; the server rejects a registration that breaks one.
/// </summary>
public static class ProtocolLimits
{
    /// <summary>The protocol version this library speaks.</summary>
    public const int ProtocolVersion = 1;

    /// <summary>Longest agent id, capability, group or command name.</summary>
    public const int MaxIdentifierLength = 128;

    /// <summary>Longest agent name.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Most capabilities one agent may declare.</summary>
    public const int MaxCapabilities = 256;

    /// <summary>Most groups one agent may join.</summary>
    public const int MaxGroups = 256;

    /// <summary>Most commands one agent may declare.</summary>
    public const int MaxCommands = 1024;

    /// <summary>Most metadata entries.</summary>
    public const int MaxMetadataEntries = 64;

    /// <summary>Longest metadata value.</summary>
    public const int MaxMetadataValueLength = 1024;

    /// <summary>Largest MaxConcurrentJobs an agent may announce.</summary>
    public const int MaxConcurrentJobsLimit = 10_000;
}
