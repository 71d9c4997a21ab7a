using System.Collections.Concurrent;
using System.Security.Cryptography;
using OrbitMesh.Agent;
using OrbitMesh.Modules;
using Wasmtime;

namespace OrbitMesh.Wasm.Runtime;

/// <summary>
/// Finds the compiled module for a job: resolves the name (a named version is resolved once, since
/// versions are immutable; the newest is asked for each time), downloads the bytes when first needed,
/// refuses them unless their SHA-256 matches the announced digest, keeps them on disk by digest (checked
/// again when read back) and compiles each digest once.
/// </summary>
internal sealed class WasmModuleCache
{
    private readonly IWasmModuleSource _source;
    private readonly WasmEngine _engine;
    private readonly WasmOptions _options;
    private readonly ConcurrentDictionary<string, WasmModuleInfo> _resolved = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetching = new(StringComparer.Ordinal);

    public WasmModuleCache(IWasmModuleSource source, WasmEngine engine, WasmOptions options)
    {
        _source = source;
        _engine = engine;
        _options = options;
        if (options.CacheDirectory is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>Downloads so far (for tests and benchmarks: a warm job downloads nothing).</summary>
    public int Downloads => _downloads;

    private int _downloads;

    public async Task<(WasmModuleInfo Info, Module Module)> GetAsync(WasmModuleName name, CancellationToken cancellationToken)
    {
        var key = name.ToString();
        if (name.Version is null || !_resolved.TryGetValue(key, out var info))
        {
            info = await _source.ResolveAsync(name, cancellationToken).ConfigureAwait(false);
            if (!IsDigest(info.Sha256))
            {
                throw new MeshHandlerException(WasmErrorCodes.DigestMismatch, $"The source announced '{info.Sha256}' as the digest of module '{name}', which is not a SHA-256 hex digest.");
            }

            if (name.Version is not null)
            {
                _resolved[key] = info;
            }
        }

        var digest = info.Sha256.ToLowerInvariant();
        if (_engine.TryGetCompiled(digest, out var compiled))
        {
            return (info, compiled);
        }

        var gate = _fetching.GetOrAdd(digest, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_engine.TryGetCompiled(digest, out compiled))
            {
                return (info, compiled);
            }

            var bytes = await ReadCachedAsync(digest, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                if (info.Size > _options.MaxModuleBytes)
                {
                    throw new MeshHandlerException(WasmErrorCodes.InvalidModule, $"Module '{info.Name}@{info.Version}' is {info.Size} bytes; this agent takes at most {_options.MaxModuleBytes}.");
                }

                bytes = await _source.DownloadAsync(info, _options.MaxModuleBytes, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _downloads);
                var actual = Digest(bytes);
                if (!string.Equals(actual, digest, StringComparison.Ordinal))
                {
                    throw new MeshHandlerException(WasmErrorCodes.DigestMismatch,
                        $"Module '{info.Name}@{info.Version}' was refused: its SHA-256 is {actual}, not the announced {digest}.");
                }

                await WriteCachedAsync(digest, bytes, cancellationToken).ConfigureAwait(false);
            }

            return (info, _engine.Compile(digest, bytes));
        }
        finally
        {
            gate.Release();
        }
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static bool IsDigest(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    private async Task<byte[]?> ReadCachedAsync(string digest, CancellationToken cancellationToken)
    {
        if (_options.CacheDirectory is not { } directory)
        {
            return null;
        }

        var path = Path.Combine(directory, digest + ".wasm");
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (Digest(bytes) == digest)
        {
            return bytes;
        }

        // Changed on disk since it was verified: drop it and download again.
        File.Delete(path);
        return null;
    }

    private async Task WriteCachedAsync(string digest, byte[] bytes, CancellationToken cancellationToken)
    {
        if (_options.CacheDirectory is not { } directory)
        {
            return;
        }

        var path = Path.Combine(directory, digest + ".wasm");
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
