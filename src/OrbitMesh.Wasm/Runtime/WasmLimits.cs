namespace OrbitMesh.Wasm.Runtime;

/// <summary>The limits one run is held to.</summary>
internal sealed record WasmLimits(long MaxMemoryBytes, long MaxFuel, TimeSpan MaxWallTime, int MaxOutputBytes)
{
    public static WasmLimits From(WasmOptions options) => new(options.MaxMemoryBytes, options.MaxFuel, options.MaxWallTime, options.MaxOutputBytes);
}
