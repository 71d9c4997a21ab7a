using OrbitMesh.Modules;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Storage;

/// <summary>WebAssembly modules in memory: nothing survives a restart. The default without a storage provider.</summary>
public sealed class InMemoryModuleStore : IModuleStore
{
    private readonly Lock _gate = new();
    private readonly List<(WasmModuleInfo Info, byte[] Content)> _modules = [];

    /// <inheritdoc />
    public ValueTask<ModuleAddOutcome> AddAsync(WasmModuleInfo module, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        lock (_gate)
        {
            var existing = _modules.FindIndex(m => m.Info.Name == module.Name && m.Info.Version == module.Version);
            if (existing >= 0)
            {
                return ValueTask.FromResult(_modules[existing].Info.Sha256 == module.Sha256 ? ModuleAddOutcome.AlreadyStored : ModuleAddOutcome.Conflict);
            }

            _modules.Add((module, content.ToArray()));
            return ValueTask.FromResult(ModuleAddOutcome.Added);
        }
    }

    /// <inheritdoc />
    public ValueTask<WasmModuleInfo?> GetAsync(string name, string? version, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var match = _modules.LastOrDefault(m => m.Info.Name == name && (version is null || m.Info.Version == version));
            return ValueTask.FromResult<WasmModuleInfo?>(match.Info);
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]?> GetContentAsync(string name, string version, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var match = _modules.LastOrDefault(m => m.Info.Name == name && m.Info.Version == version);
            return ValueTask.FromResult<byte[]?>(match.Content);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WasmModuleInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<WasmModuleInfo>>(_modules.Select(m => m.Info).OrderBy(m => m.Name, StringComparer.Ordinal).ToList());
        }
    }
}
