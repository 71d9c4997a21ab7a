using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Cli.Handlers;

/// <summary>
/// File handlers of the CLI agent, registered only with <c>--allow-path</c>: <c>file.read</c>,
/// <c>file.write</c> and <c>file.list</c>. Every path goes through the <see cref="PathAllowList"/>
/// first; anything outside it is refused with <c>not_allowed</c>. Only regular files with one link are
/// read or written: a FIFO, device or socket is refused (reading a FIFO would block the handler), and so
/// is a file with more than one hard link, which may be a file outside the allowed directories under a
/// second name (a hard link, unlike a symbolic one, cannot be resolved to "where it really is"). Both
/// are checked on the path before opening and again on the opened handle.
/// </summary>
internal static class FileHandlers
{
    /// <summary>The largest file <c>file.read</c> returns and <c>file.write</c> accepts: 512 KiB (it travels in one hub message).</summary>
    public const int MaxBytes = 512 * 1024;

    public static MeshAgentBuilder AddFileHandlers(this MeshAgentBuilder builder, PathAllowList allowList) => builder
        .RegisterHandler("file.read", (command, cancellationToken) => ReadAsync(allowList, command, cancellationToken))
        .RegisterHandler("file.write", (command, cancellationToken) => WriteAsync(allowList, command, cancellationToken))
        .RegisterHandler("file.list", command => List(allowList, command));

    internal static async Task<object?> ReadAsync(PathAllowList allowList, MeshCommand command, CancellationToken cancellationToken)
    {
        var path = allowList.Authorize(command.GetParameter<string>("path"));
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new MeshParameterException($"There is no file at '{command.GetParameter<string>("path")}'.");
        }

        if (info.Length > MaxBytes)
        {
            throw new MeshParameterException($"The file is {info.Length} bytes; file.read returns at most {MaxBytes}.");
        }

        EnsurePlainFile(UnixFileStatus.OfPath(path), command.GetParameter<string>("path"));
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        EnsurePlainFile(UnixFileStatus.OfHandle(handle), command.GetParameter<string>("path"));
        var length = RandomAccess.GetLength(handle);
        if (length > MaxBytes)
        {
            throw new MeshParameterException($"The file is {length} bytes; file.read returns at most {MaxBytes}.");
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = await RandomAccess.ReadAsync(handle, bytes.AsMemory(read), read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return new { path, size = read, contentBase64 = Convert.ToBase64String(bytes, 0, read) };
    }

    internal static async Task<object?> WriteAsync(PathAllowList allowList, MeshCommand command, CancellationToken cancellationToken)
    {
        var path = allowList.Authorize(command.GetParameter<string>("path"));
        byte[] bytes;
        if (command.HasParameter("contentBase64") && command.GetParameter<string>("contentBase64") is { } base64)
        {
            try
            {
                bytes = Convert.FromBase64String(base64);
            }
            catch (FormatException ex)
            {
                throw new MeshParameterException("'contentBase64' is not valid base64.", ex);
            }
        }
        else
        {
            bytes = command.HasParameter("content") && command.GetParameter<string>("content") is { } text
                ? System.Text.Encoding.UTF8.GetBytes(text)
                : throw new MeshParameterException("Give 'content' (text) or 'contentBase64'.");
        }

        if (bytes.Length > MaxBytes)
        {
            throw new MeshParameterException($"The content is {bytes.Length} bytes; file.write accepts at most {MaxBytes}.");
        }

        if (Directory.Exists(path))
        {
            throw new MeshParameterException($"'{command.GetParameter<string>("path")}' is a directory.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (UnixFileStatus.OfPath(path) is { } existing)
        {
            EnsurePlainFile(existing, command.GetParameter<string>("path"));
        }

        using (var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
        {
            // Checked on what was opened, before anything is written: a link swapped in meanwhile is refused too.
            EnsurePlainFile(UnixFileStatus.OfHandle(handle), command.GetParameter<string>("path"));
            RandomAccess.SetLength(handle, 0);
            await RandomAccess.WriteAsync(handle, bytes, 0, cancellationToken).ConfigureAwait(false);
        }

        return new { path, size = bytes.Length };
    }

    /// <summary>Refuses anything but a regular file with one link (null status: not Linux, nothing to check).</summary>
    private static void EnsurePlainFile(UnixFileStatus? status, string requested)
    {
        if (status is not { } s)
        {
            return;
        }

        if (!s.IsRegular)
        {
            throw new MeshParameterException($"'{requested}' is a {s.Kind}, not a regular file; the file handlers read and write regular files only.");
        }

        if (s.LinkCount > 1)
        {
            throw new MeshParameterException($"'{requested}' has {s.LinkCount} hard links; a file with more than one link may also live outside the allowed paths, so it is refused.");
        }
    }

    internal static object List(PathAllowList allowList, MeshCommand command)
    {
        var path = allowList.Authorize(command.HasParameter("path") ? command.GetParameter<string>("path") : allowList.Roots[0]);
        if (!Directory.Exists(path))
        {
            throw new MeshParameterException($"There is no directory at '{command.GetParameter<string>("path")}'.");
        }

        return new
        {
            path,
            entries = new DirectoryInfo(path).EnumerateFileSystemInfos()
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .Select(e => new
                {
                    name = e.Name,
                    type = e.LinkTarget is not null ? "link" : e is DirectoryInfo ? "directory" : "file",
                    size = e is FileInfo file && e.LinkTarget is null ? file.Length : (long?)null,
                })
                .ToList(),
        };
    }
}
