using System.ComponentModel.DataAnnotations;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Wasm;

/// <summary>
/// Settings for the WebAssembly handlers of an agent (<c>wasm:NAME[@VERSION]</c>): the per-job limits
/// and the capabilities granted to modules. A job may ask for lower limits in its parameters, never higher.
/// </summary>
public sealed class WasmOptions
{
    /// <summary>Default <see cref="MaxMemoryBytes"/>: 64 MiB.</summary>
    public const long DefaultMaxMemoryBytes = 64L * 1024 * 1024;

    /// <summary>Default <see cref="MaxFuel"/>: 10 billion units (roughly as many WebAssembly instructions; a few seconds of CPU).</summary>
    public const long DefaultMaxFuel = 10_000_000_000;

    /// <summary>Default <see cref="MaxWallTime"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxWallTime = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="MaxOutputBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxOutputBytes = 1024 * 1024;

    /// <summary>Default <see cref="MaxModuleBytes"/>: 16 MiB.</summary>
    public const int DefaultMaxModuleBytes = 16 * 1024 * 1024;

    /// <summary>Default <see cref="EpochInterval"/>: 10 ms.</summary>
    public static readonly TimeSpan DefaultEpochInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The largest linear memory a module may grow to, in bytes; growing past it fails (<c>memory.grow</c> returns -1). Default 64 MiB.</summary>
    [Range(64 * 1024, 4L * 1024 * 1024 * 1024)]
    public long MaxMemoryBytes { get; set; } = DefaultMaxMemoryBytes;

    /// <summary>The fuel (CPU budget, in Wasmtime fuel units) one job may burn; at zero the module is stopped. Default 10 billion.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFuel { get; set; } = DefaultMaxFuel;

    /// <summary>How long one job may run, host calls included; then it is stopped by epoch interruption. Default 30 s.</summary>
    public TimeSpan MaxWallTime { get; set; } = DefaultMaxWallTime;

    /// <summary>The most bytes a job may produce: its result, streamed items and progress messages together. Default 1 MiB.</summary>
    [Range(1, int.MaxValue)]
    public int MaxOutputBytes { get; set; } = DefaultMaxOutputBytes;

    /// <summary>The largest module the agent downloads and compiles. Default 16 MiB.</summary>
    [Range(8, int.MaxValue)]
    public int MaxModuleBytes { get; set; } = DefaultMaxModuleBytes;

    /// <summary>How often the engine's epoch advances: the granularity of wall-time limits and cancellation. Default 10 ms.</summary>
    public TimeSpan EpochInterval { get; set; } = DefaultEpochInterval;

    /// <summary>
    /// The directories modules may read through the <c>file_read</c> host function, checked by the
    /// agent's path allow-list. Null (the default): no file access; every call fails the job with <c>not_allowed</c>.
    /// </summary>
    public PathAllowList? Files { get; set; }

    /// <summary>Lets modules read the wall clock (<c>clock_now_ms</c>). Default false: the call fails the job with <c>not_allowed</c>.</summary>
    public bool AllowClock { get; set; }

    /// <summary>Where verified modules are cached on disk, by digest; null (the default) keeps them in memory only.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>The clock for wall-time limits.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws an <see cref="OrbitMeshException"/> listing every invalid setting.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        var errors = Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true)
            ? []
            : results.Select(r => r.ErrorMessage ?? "A WebAssembly setting is invalid.").ToList();
        if (MaxWallTime <= TimeSpan.Zero)
        {
            errors.Add("MaxWallTime must be positive.");
        }

        if (EpochInterval <= TimeSpan.Zero || EpochInterval > TimeSpan.FromSeconds(1))
        {
            errors.Add("EpochInterval must be positive and at most 1 s.");
        }

        if (errors.Count > 0)
        {
            throw new OrbitMeshException("invalid_options", "The WebAssembly settings are invalid: " + string.Join(" ", errors));
        }
    }
}
