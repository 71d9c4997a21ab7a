using OrbitMesh.Modules;

namespace OrbitMesh.Storage;

/// <summary>What happened to an uploaded module.</summary>
public enum ModuleAddOutcome
{
    /// <summary>Stored as a new version.</summary>
    Added,

    /// <summary>The same bytes were stored under this name and version already; nothing changed.</summary>
    AlreadyStored,

    /// <summary>Other bytes are stored under this name and version: versions are immutable, so it was refused.</summary>
    Conflict,
}

/// <summary>
/// The WebAssembly modules the server keeps for agents, by name and immutable version, each with its
/// SHA-256 digest. Versions of a name are ordered by upload; the newest is the one a job without a version runs.
/// </summary>
public interface IModuleStore
{
    /// <summary>Stores <paramref name="content"/> under <paramref name="module"/>'s name and version, unless other bytes are stored there already.</summary>
    ValueTask<ModuleAddOutcome> AddAsync(WasmModuleInfo module, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>One version of a module (the newest when <paramref name="version"/> is null), or null.</summary>
    ValueTask<WasmModuleInfo?> GetAsync(string name, string? version, CancellationToken cancellationToken = default);

    /// <summary>A module's bytes, or null.</summary>
    ValueTask<byte[]?> GetContentAsync(string name, string version, CancellationToken cancellationToken = default);

    /// <summary>Every module version, by name and then upload order.</summary>
    ValueTask<IReadOnlyList<WasmModuleInfo>> ListAsync(CancellationToken cancellationToken = default);
}
