using OrbitMesh.Modules;

namespace OrbitMesh.Wasm;

/// <summary>Where an agent gets WebAssembly modules: normally the server (<see cref="HttpWasmModuleSource"/>).</summary>
public interface IWasmModuleSource
{
    /// <summary>
    /// What the source has under <paramref name="name"/> (its newest version when no version is named),
    /// with the digest the download must match. Throws <see cref="Agent.MeshHandlerException"/> with
    /// <see cref="WasmErrorCodes.ModuleNotFound"/> when there is none.
    /// </summary>
    Task<WasmModuleInfo> ResolveAsync(WasmModuleName name, CancellationToken cancellationToken = default);

    /// <summary>Downloads the module's bytes (at most <paramref name="maxBytes"/>; more fails). The caller verifies the digest.</summary>
    Task<byte[]> DownloadAsync(WasmModuleInfo module, int maxBytes, CancellationToken cancellationToken = default);
}
