using OrbitMesh.Wasm.Runtime;

namespace OrbitMesh.Wasm;

/// <summary>
/// The WebAssembly engine of one agent and its module cache. Created by
/// <c>MeshAgentBuilder.AddWasmHandlers</c>; dispose it after the agent has stopped.
/// </summary>
public sealed class WasmRuntime : IDisposable
{
    internal WasmRuntime(IWasmModuleSource source, WasmOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        Engine = new WasmEngine(options);
        Modules = new WasmModuleCache(source, Engine, options);
        Handler = new WasmHandler(Engine, Modules, options);
    }

    internal WasmEngine Engine { get; }

    internal WasmModuleCache Modules { get; }

    internal WasmHandler Handler { get; }

    /// <summary>How many module downloads this agent made (a module is downloaded once, then cached).</summary>
    public int Downloads => Modules.Downloads;

    /// <summary>How many distinct modules are compiled.</summary>
    public int CompiledModules => Engine.CompiledCount;

    /// <inheritdoc />
    public void Dispose() => Engine.Dispose();
}
