namespace OrbitMesh.Modules;

/// <summary>
/// A WebAssembly module the server stores: its name, version, size and SHA-256 digest, which agents
/// check every download against before they compile it.
/// </summary>
public sealed record WasmModuleInfo
{
    /// <summary>The module's name.</summary>
    public required string Name { get; init; }

    /// <summary>The version (immutable: the same name and version always mean the same bytes).</summary>
    public required string Version { get; init; }

    /// <summary>The SHA-256 digest of the module's bytes, 64 lowercase hex digits.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The module's size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>When it was uploaded.</summary>
    public DateTimeOffset UploadedAt { get; init; }

    /// <summary>Who uploaded it (the user or API key), when known.</summary>
    public string? UploadedBy { get; init; }
}
