using System.Runtime.CompilerServices;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Grid.Star;

namespace OrbitMesh.Grid;

/// <summary>
/// Makes an agent a star: the grid commands (<see cref="GridCommands"/>), each running
/// <see cref="LocalSystem"/> jailed to the allow-list, so that every path is resolved as the operating
/// system resolves it and refused outside the allowed roots. The star keeps no state between commands.
/// </summary>
public static class GridAgentBuilderExtensions
{
    /// <summary>Registers the grid handlers behind <paramref name="allowList"/> and declares the <see cref="GridCommands.Capability"/> capability.</summary>
    public static MeshAgentBuilder AddGridHandlers(this MeshAgentBuilder builder, PathAllowList allowList)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(allowList);
        var system = new LocalSystem(allowList);
        return builder
            .WithCapabilities(GridCommands.Capability)
            .RegisterStreamHandler(GridCommands.Scan, (command, cancellationToken) => ScanAsync(system, command, cancellationToken))
            .RegisterHandler(GridCommands.Stat, async (command, cancellationToken) =>
                await system.GetEntryAsync(command.GetParameter<string>("path"), cancellationToken).ConfigureAwait(false))
            .RegisterHandler(GridCommands.Header, async (command, cancellationToken) =>
                new ChunkReply(0, await system.ReadHeaderAsync(command.GetParameter<string>("path"), command.GetParameter<int>("length"), cancellationToken).ConfigureAwait(false)))
            .RegisterHandler(GridCommands.Hash, async (command, cancellationToken) =>
                await system.HashRangeAsync(
                    command.GetParameter<string>("path"),
                    command.GetParameter("offset", 0L),
                    command.GetParameter<long?>("length", null),
                    command.GetParameter("algorithm", GridHashAlgorithm.Blake3),
                    cancellationToken).ConfigureAwait(false))
            .RegisterHandler(GridCommands.Read, (command, cancellationToken) => ReadAsync(system, command, cancellationToken))
            .RegisterHandler(GridCommands.Write, (command, cancellationToken) => WriteAsync(system, command, cancellationToken));
    }

    /// <summary>Entries in batches bounded by count and by path characters, so no message nears the hub's size limit.</summary>
    internal static async IAsyncEnumerable<object?> ScanAsync(LocalSystem system, MeshCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var batch = new List<GridEntry>();
        var chars = 0;
        await foreach (var entry in system.ScanDirectoryAsync(command.GetParameter<string>("path"), cancellationToken).ConfigureAwait(false))
        {
            batch.Add(entry);
            chars += entry.Path.Length;
            if (batch.Count >= GridLimits.MaxScanBatchEntries || chars >= GridLimits.MaxScanBatchPathChars)
            {
                yield return new ScanBatch(batch);
                batch = [];
                chars = 0;
            }
        }

        if (batch.Count > 0)
        {
            yield return new ScanBatch(batch);
        }
    }

    private static async Task<object?> ReadAsync(LocalSystem system, MeshCommand command, CancellationToken cancellationToken)
    {
        var offset = command.GetParameter("offset", 0L);
        var length = command.GetParameter("length", GridLimits.MaxChunkLength);
        if (length is < 0 or > GridLimits.MaxChunkLength)
        {
            throw new MeshParameterException($"'length' must be between 0 and {GridLimits.MaxChunkLength}.");
        }

        return new ChunkReply(offset, await system.ReadChunkAsync(command.GetParameter<string>("path"), offset, length, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<object?> WriteAsync(LocalSystem system, MeshCommand command, CancellationToken cancellationToken)
    {
        var data = command.GetParameter("data", Array.Empty<byte>());
        if (data.Length > GridLimits.MaxChunkLength)
        {
            throw new MeshParameterException($"A chunk may be at most {GridLimits.MaxChunkLength} bytes.");
        }

        var length = await system.WriteChunkAsync(
            command.GetParameter<string>("path"),
            command.GetParameter("offset", 0L),
            data,
            command.GetParameter("truncate", false),
            cancellationToken).ConfigureAwait(false);
        return new WriteReply(length);
    }
}
