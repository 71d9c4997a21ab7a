using OrbitMesh.Modules;
using OrbitMesh.Wasm;

namespace OrbitMesh.Agent;

/// <summary>Adds sandboxed WebAssembly handlers to an agent.</summary>
public static class WasmAgentBuilderExtensions
{
    /// <summary>
    /// Lets the agent run <c>wasm:NAME[@VERSION]</c> jobs: modules come from <paramref name="source"/>
    /// (the server), are checked against their SHA-256, compiled once and run under the limits and with
    /// only the capabilities of <paramref name="options"/>. Dispose the returned runtime with the agent.
    /// </summary>
    public static MeshAgentBuilder AddWasmHandlers(this MeshAgentBuilder builder, IWasmModuleSource source, WasmOptions options, out WasmRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(builder);
        runtime = new WasmRuntime(source, options);
        var handler = runtime.Handler;
        return builder.RegisterCommandFamily(WasmModuleName.CommandPrefix, handler.ExecuteAsync, handler.StreamAsync);
    }
}
