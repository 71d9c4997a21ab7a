using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using OrbitMesh.Client;
using OrbitMesh.Grid;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>grid copy</c> star to star over direct links: the tree is listed on the source star, then each file is
/// copied by the server's <c>POST /api/grid/copies</c>, which has the source star push it to the target star's
/// data endpoint; the bytes never pass through the server or this process.
/// </summary>
internal static class GridDirectCopy
{
    /// <summary>Whether both stars advertise a data endpoint.</summary>
    public static async Task<bool> CanLinkAsync(MeshHttpClient mesh, string fromAgent, string toAgent, CancellationToken cancellationToken) =>
        GridLinkCopier.CanLink(await mesh.GetAgentAsync(fromAgent, cancellationToken).ConfigureAwait(false))
        && GridLinkCopier.CanLink(await mesh.GetAgentAsync(toAgent, cancellationToken).ConfigureAwait(false));

    public static async Task<GridCopyResult> CopyAsync(MeshHttpClient mesh, string fromAgent, string fromPath, string toAgent, string toPath, IProgress<GridCopyProgress>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var source = new RemoteSystem(mesh, fromAgent);
        var entry = await source.GetEntryAsync(fromPath, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException($"There is nothing at '{fromPath}' on {fromAgent}.");
        List<(string Relative, string From, string To, long Size)> files = [];
        if (entry.Kind == GridEntryKind.File)
        {
            files.Add((entry.Path, fromPath, toPath, entry.Size));
        }
        else if (entry.Kind == GridEntryKind.Directory)
        {
            await foreach (var item in source.ScanDirectoryAsync(fromPath, cancellationToken).ConfigureAwait(false))
            {
                if (item.Kind == GridEntryKind.File)
                {
                    files.Add((item.Path, GridCopy.Join(fromPath, item.Path), GridCopy.Join(toPath, item.Path), item.Size));
                }
            }

            files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));
        }
        else
        {
            throw new CliException($"'{fromPath}' is a {entry.Kind}; only files and directories are copied.");
        }

        var total = files.Sum(f => f.Size);
        var copied = new List<GridCopiedFile>(files.Count);
        long done = 0;
        foreach (var file in files)
        {
            progress?.Report(new GridCopyProgress(file.Relative, done, total, copied.Count, files.Count));
            var linked = await mesh.PostAsync<GridLinkCopyResult>(GridLinkEndpointRouteBuilderExtensions.CopiesRoute,
                new GridLinkCopyRequest(fromAgent, file.From, toAgent, file.To), cancellationToken).ConfigureAwait(false)
                ?? throw new CliException($"The server did not report the copy of '{file.From}'.");
            done += linked.Bytes;
            copied.Add(new GridCopiedFile(file.Relative, linked.Bytes, linked.Blake3));
            progress?.Report(new GridCopyProgress(file.Relative, done, Math.Max(total, done), copied.Count, files.Count));
        }

        return new GridCopyResult(copied, done, stopwatch.Elapsed);
    }
}
