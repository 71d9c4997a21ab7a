namespace OrbitMesh.Grid;

/// <summary>What a <see cref="GridEntry"/> is.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<GridEntryKind>))]
public enum GridEntryKind
{
    /// <summary>A regular file.</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (not followed by scans).</summary>
    Link,

    /// <summary>Anything else: a FIFO, a device, a socket.</summary>
    Other,
}
