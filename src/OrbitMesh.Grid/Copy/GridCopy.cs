using System.Buffers;
using System.Diagnostics;

namespace OrbitMesh.Grid;

/// <summary>
/// Copies a file or a directory tree from one <see cref="IOrbitSystem"/> to another (local or star, in
/// any combination) and verifies every file by its BLAKE3 digest, computed on each side where the bytes
/// are. The routine is written once against the interface; only the systems differ between modes.
/// </summary>
public static class GridCopy
{
    private const int BufferSize = GridLimits.MaxChunkLength;

    /// <summary>
    /// Copies <paramref name="sourcePath"/> (a file, or a directory and everything under it) to
    /// <paramref name="targetPath"/>. Throws <see cref="GridDigestMismatchException"/> when a copied file's
    /// digests differ.
    /// </summary>
    public static async Task<GridCopyResult> CopyAsync(
        IOrbitSystem source,
        string sourcePath,
        IOrbitSystem target,
        string targetPath,
        IProgress<GridCopyProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var stopwatch = Stopwatch.StartNew();
        var entry = await source.GetEntryAsync(sourcePath, cancellationToken).ConfigureAwait(false)
            ?? throw new Agent.MeshParameterException($"There is nothing at '{sourcePath}'.");
        List<(string Relative, string From, string To, long Size)> files = [];
        switch (entry.Kind)
        {
            case GridEntryKind.File:
                files.Add((entry.Path, sourcePath, targetPath, entry.Size));
                break;
            case GridEntryKind.Directory:
                await foreach (var item in source.ScanDirectoryAsync(sourcePath, cancellationToken).ConfigureAwait(false))
                {
                    if (item.Kind == GridEntryKind.File)
                    {
                        files.Add((item.Path, Join(sourcePath, item.Path), Join(targetPath, item.Path), item.Size));
                    }
                }

                files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
                break;
            default:
                throw new Agent.MeshParameterException($"'{sourcePath}' is a {entry.Kind}; only files and directories are copied.");
        }

        var total = files.Sum(f => f.Size);
        var copied = new List<GridCopiedFile>(files.Count);
        long done = 0;
        foreach (var file in files)
        {
            var before = done;
            var size = await CopyFileAsync(source, file.From, target, file.To, bytes =>
                progress?.Report(new GridCopyProgress(file.Relative, before + bytes, total, copied.Count, files.Count)), cancellationToken).ConfigureAwait(false);
            done += size;
            var digest = await VerifyAsync(source, file.From, target, file.To, cancellationToken).ConfigureAwait(false);
            copied.Add(new GridCopiedFile(file.Relative, size, digest));
            progress?.Report(new GridCopyProgress(file.Relative, done, Math.Max(total, done), copied.Count, files.Count));
        }

        return new GridCopyResult(copied, done, stopwatch.Elapsed);
    }

    /// <summary>Both sides' BLAKE3 digests, each computed where its file is; the digest when they agree.</summary>
    public static async Task<string> VerifyAsync(IOrbitSystem source, string sourcePath, IOrbitSystem target, string targetPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var from = source.HashRangeAsync(sourcePath, cancellationToken: cancellationToken);
        var to = target.HashRangeAsync(targetPath, cancellationToken: cancellationToken);
        var (a, b) = (await from.ConfigureAwait(false), await to.ConfigureAwait(false));
        if (a.Hex != b.Hex || a.Length != b.Length)
        {
            throw new GridDigestMismatchException($"'{targetPath}' does not match '{sourcePath}': BLAKE3 {b.Hex} ({b.Length} bytes) against {a.Hex} ({a.Length} bytes).");
        }

        return a.Hex;
    }

    /// <summary>Joins a system path and a scan's relative path ('/'-separated).</summary>
    public static string Join(string directory, string relative)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return directory.Length == 0 ? relative : directory.TrimEnd('/', '\\') + "/" + relative;
    }

    private static async Task<long> CopyFileAsync(IOrbitSystem source, string from, IOrbitSystem target, string to, Action<long> copied, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var input = await source.OpenReadAsync(from, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                var output = await target.OpenWriteAsync(to, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (output.ConfigureAwait(false))
                {
                    long total = 0;
                    int read;
                    while ((read = await input.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        total += read;
                        copied(total);
                    }

                    return total;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
