namespace OrbitMesh.Wasm;

/// <summary>The error codes a WebAssembly job fails with, beside <see cref="MeshErrorCodes.NotAllowed"/>, cancellation and timeouts.</summary>
public static class WasmErrorCodes
{
    /// <summary>The module burned its fuel (CPU budget) and was stopped.</summary>
    public const string OutOfFuel = "wasm_out_of_fuel";

    /// <summary>The module ran past its wall-time limit and was stopped.</summary>
    public const string WallTimeExceeded = "wasm_wall_time_exceeded";

    /// <summary>The module needs more linear memory than its limit allows.</summary>
    public const string MemoryLimit = "wasm_memory_limit";

    /// <summary>The module produced more output (result, items, progress) than its limit allows.</summary>
    public const string OutputLimit = "wasm_output_limit";

    /// <summary>The module trapped (unreachable, out-of-bounds access, division by zero, ...) or called <c>fail</c>.</summary>
    public const string Trap = "wasm_trap";

    /// <summary>The module is not valid WebAssembly, imports something the host does not provide, or lacks its entry point.</summary>
    public const string InvalidModule = "wasm_invalid_module";

    /// <summary>The module's output is not valid JSON.</summary>
    public const string InvalidOutput = "wasm_invalid_output";

    /// <summary>The downloaded module's SHA-256 differs from the digest the server announced.</summary>
    public const string DigestMismatch = "wasm_digest_mismatch";

    /// <summary>The server has no module of that name (and version).</summary>
    public const string ModuleNotFound = "wasm_module_not_found";
}
