using System.Collections.Concurrent;
using OrbitMesh.Agent;
using OrbitMesh.Modules;
using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Wasm.Tests;

/// <summary>A module source that serves what the test put in it, and can be told to serve other bytes than it announces.</summary>
internal sealed class InMemoryModuleSource : IWasmModuleSource
{
    private readonly ConcurrentDictionary<string, (WasmModuleInfo Info, byte[] Bytes)> _modules = new(StringComparer.Ordinal);

    public int Resolves;

    public int DownloadCount;

    public WasmModuleInfo Add(string name, string version, string wat, byte[]? servedInstead = null)
    {
        var bytes = WatCompiler.ToBinary(wat);
        var info = new WasmModuleInfo { Name = name, Version = version, Sha256 = WasmModuleCache.Digest(bytes), Size = bytes.Length };
        _modules[name + "@" + version] = (info, servedInstead ?? bytes);
        _modules[name] = (info, servedInstead ?? bytes);
        return info;
    }

    public Task<WasmModuleInfo> ResolveAsync(WasmModuleName name, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Resolves);
        return _modules.TryGetValue(name.ToString(), out var module)
            ? Task.FromResult(module.Info)
            : throw new MeshHandlerException(WasmErrorCodes.ModuleNotFound, $"No module '{name}'.");
    }

    public Task<byte[]> DownloadAsync(WasmModuleInfo module, int maxBytes, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref DownloadCount);
        return Task.FromResult(_modules[module.Name + "@" + module.Version].Bytes);
    }
}
