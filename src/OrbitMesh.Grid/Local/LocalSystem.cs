using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Grid.Local;

namespace OrbitMesh.Grid;

/// <summary>
/// <see cref="IOrbitSystem"/> on the local disk: standalone mode, and what a star runs for the mesh.
/// Without a jail every path the process can reach is allowed; with one, every path is resolved as the
/// operating system resolves it (<see cref="PathAllowList"/>) and refused outside the allowed roots, and
/// only regular files with a single link are read or written (a FIFO would block, and a second hard link
/// may name a file outside the roots).
/// </summary>
public sealed class LocalSystem : IOrbitSystem
{
    private readonly PathAllowList? _jail;

    /// <summary>Creates a local system, jailed to <paramref name="jail"/>'s roots when given.</summary>
    public LocalSystem(PathAllowList? jail = null)
    {
        _jail = jail;
    }

    /// <summary>The roots this system is jailed to; null when it is not.</summary>
    public PathAllowList? Jail => _jail;

    /// <inheritdoc />
    public async IAsyncEnumerable<GridEntry> ScanDirectoryAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var root = Resolve(path);
        if (!Directory.Exists(root))
        {
            throw new MeshParameterException($"There is no directory at '{path}'.");
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        var entries = new FileSystemEnumerable<GridEntry>(root, (ref FileSystemEntry e) => ToEntry(ref e), options)
        {
            // Links are reported, never followed: a link may lead outside the allowed roots.
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        var count = 0;
        foreach (var entry in entries)
        {
            if (++count % 4096 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }

            yield return entry;
        }
    }

    /// <inheritdoc />
    public Task<GridEntry?> GetEntryAsync(string path, CancellationToken cancellationToken = default)
    {
        var real = Resolve(path);
        var info = new FileInfo(real);
        GridEntry? entry = null;
        if (info.LinkTarget is not null)
        {
            entry = new GridEntry(info.Name, 0, info.LastWriteTimeUtc, GridEntryKind.Link);
        }
        else if (Directory.Exists(real))
        {
            entry = new GridEntry(new DirectoryInfo(real).Name, 0, Directory.GetLastWriteTimeUtc(real), GridEntryKind.Directory);
        }
        else if (info.Exists)
        {
            var regular = UnixFileStatus.OfPath(real) is not { IsRegular: false };
            entry = new GridEntry(info.Name, regular ? info.Length : 0, info.LastWriteTimeUtc, regular ? GridEntryKind.File : GridEntryKind.Other);
        }

        return Task.FromResult(entry);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadHeaderAsync(string path, int length, CancellationToken cancellationToken = default)
    {
        if (length is < 0 or > GridLimits.MaxHeaderLength)
        {
            throw new MeshParameterException($"'length' must be between 0 and {GridLimits.MaxHeaderLength}.");
        }

        return await ReadChunkAsync(path, 0, length, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<GridDigest> HashRangeAsync(string path, long offset = 0, long? length = null, GridHashAlgorithm algorithm = GridHashAlgorithm.Blake3, CancellationToken cancellationToken = default)
    {
        using var handle = OpenExisting(path);
        return await RangeHasher.HashAsync(handle, offset, length, algorithm, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var handle = OpenExisting(path);
        try
        {
            var end = RangeHasher.RangeEnd(RandomAccess.GetLength(handle), offset, length);
            return Task.FromResult<Stream>(new RangeReadStream(handle, Math.Min(offset, end), end));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenWriteAsync(string path, long offset = 0, CancellationToken cancellationToken = default)
    {
        var handle = OpenForWrite(path, offset, truncate: true);
        return Task.FromResult<Stream>(new FileStream(handle, FileAccess.Write, bufferSize: 0) { Position = offset });
    }

    /// <summary>Reads up to <paramref name="count"/> bytes from <paramref name="offset"/> (fewer at the end of the file).</summary>
    internal async Task<byte[]> ReadChunkAsync(string path, long offset, int count, CancellationToken cancellationToken)
    {
        if (offset < 0 || count < 0)
        {
            throw new MeshParameterException("'offset' and 'length' must not be negative.");
        }

        using var handle = OpenExisting(path);
        var available = Math.Max(0, RandomAccess.GetLength(handle) - offset);
        var bytes = new byte[(int)Math.Min(count, available)];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), offset + read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                Array.Resize(ref bytes, read);
                break;
            }

            read += n;
        }

        return bytes;
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/>. With <paramref name="truncate"/> the file
    /// is created or cut to <paramref name="offset"/> first; without, it must be exactly <paramref name="offset"/>
    /// bytes long already, so that a lost or repeated chunk is refused instead of leaving a hole.
    /// </summary>
    internal async Task<long> WriteChunkAsync(string path, long offset, ReadOnlyMemory<byte> data, bool truncate, CancellationToken cancellationToken)
    {
        using var handle = OpenForWrite(path, offset, truncate);
        await RandomAccess.WriteAsync(handle, data, offset, cancellationToken).ConfigureAwait(false);
        return offset + data.Length;
    }

    private string Resolve(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new MeshParameterException("'path' is required and must not contain NUL characters.");
        }

        return _jail?.Authorize(path) ?? PathAllowList.Resolve(path);
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenExisting(string path)
    {
        var real = Resolve(path);
        if (!File.Exists(real))
        {
            throw new MeshParameterException(Directory.Exists(real) ? $"'{path}' is a directory." : $"There is no file at '{path}'.");
        }

        EnsurePlainFile(UnixFileStatus.OfPath(real), path);
        var handle = File.OpenHandle(real, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        try
        {
            EnsurePlainFile(UnixFileStatus.OfHandle(handle), path);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenForWrite(string path, long offset, bool truncate)
    {
        if (offset < 0)
        {
            throw new MeshParameterException("'offset' must not be negative.");
        }

        var real = Resolve(path);
        if (Directory.Exists(real))
        {
            throw new MeshParameterException($"'{path}' is a directory.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        if (UnixFileStatus.OfPath(real) is { } existing)
        {
            EnsurePlainFile(existing, path);
        }

        var handle = File.OpenHandle(real, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
        try
        {
            // Checked on what was opened, before anything is written: a link swapped in meanwhile is refused too.
            EnsurePlainFile(UnixFileStatus.OfHandle(handle), path);
            var length = RandomAccess.GetLength(handle);
            if (truncate ? length < offset : length != offset)
            {
                throw new MeshParameterException($"'{path}' is {length} bytes long; it cannot be written from offset {offset}.");
            }

            if (truncate)
            {
                RandomAccess.SetLength(handle, offset);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void EnsurePlainFile(UnixFileStatus? status, string requested)
    {
        if (status is not { } s)
        {
            return;
        }

        if (!s.IsRegular)
        {
            throw new MeshParameterException($"'{requested}' is a {s.Kind}, not a regular file.");
        }

        if (_jail is not null && s.LinkCount > 1)
        {
            throw new MeshAccessDeniedException($"'{requested}' has {s.LinkCount} hard links; a file with more than one link may also live outside the allowed paths, so it is refused.");
        }
    }

    private static GridEntry ToEntry(ref FileSystemEntry entry)
    {
        var relative = Path.Join(entry.Directory[entry.RootDirectory.Length..].TrimStart(Path.DirectorySeparatorChar), entry.FileName);
        if (Path.DirectorySeparatorChar != '/')
        {
            relative = relative.Replace(Path.DirectorySeparatorChar, '/');
        }

        var kind = (entry.Attributes & FileAttributes.ReparsePoint) != 0 ? GridEntryKind.Link
            : entry.IsDirectory ? GridEntryKind.Directory
            : GridEntryKind.File;
        return new GridEntry(relative, kind == GridEntryKind.File ? entry.Length : 0, entry.LastWriteTimeUtc, kind);
    }
}
