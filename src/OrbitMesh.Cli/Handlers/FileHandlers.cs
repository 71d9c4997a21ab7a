using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;

namespace OrbitMesh.Cli.Handlers;

/// <summary>
/// File handlers of the CLI agent, registered only with <c>--allow-path</c>: <c>file.read</c>,
/// <c>file.write</c> and <c>file.list</c>. Every path goes through the <see cref="PathAllowList"/>
/// first; anything outside it is refused with <c>not_allowed</c>.
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

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        return new { path, size = bytes.Length, contentBase64 = Convert.ToBase64String(bytes) };
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
        await File.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
        return new { path, size = bytes.Length };
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
