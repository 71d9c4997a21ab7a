using System.Runtime.CompilerServices;
using System.Text.Json;
using OrbitMesh.Grid.Remote;
using OrbitMesh.Grid.Star;

namespace OrbitMesh.Grid;

/// <summary>
/// <see cref="IOrbitSystem"/> on a star agent through the mesh (grid mode): every operation runs on the
/// star, next to the data. Scans are streaming jobs that arrive in batches; hashes are computed on the
/// star and only the digest comes back; reads and writes move in chunks of at most
/// <see cref="GridLimits.MaxChunkLength"/> as communication-level calls (no job record).
/// Failures on the star arrive as <see cref="MeshInvocationException"/> with the star's error code
/// (<see cref="MeshErrorCodes.NotAllowed"/> for a path outside its allowed roots).
/// </summary>
public sealed class RemoteSystem : IOrbitSystem
{
    private readonly IMeshClient _mesh;
    private readonly RemoteSystemOptions _options;

    /// <summary>Creates a system that runs on the agent <paramref name="agentId"/>.</summary>
    public RemoteSystem(IMeshClient mesh, string agentId, RemoteSystemOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        _options = options ?? new RemoteSystemOptions();
        _options.Validate();
        _mesh = mesh;
        AgentId = agentId;
    }

    /// <summary>The star this system runs on.</summary>
    public string AgentId { get; }

    /// <inheritdoc />
    public async IAsyncEnumerable<GridEntry> ScanDirectoryAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new JobRequest
        {
            Command = GridCommands.Scan,
            Parameters = OrbitMeshJson.ToElement(new { path }),
            Target = AgentTarget.ForAgent(AgentId),
            Pattern = ExecutionPattern.Streaming,
            Timeout = _options.LongCallTimeout,
        };
        await foreach (var batch in _mesh.StreamAsync<ScanBatch>(request, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in batch.Entries)
            {
                yield return entry;
            }
        }
    }

    /// <inheritdoc />
    public Task<GridEntry?> GetEntryAsync(string path, CancellationToken cancellationToken = default) =>
        _mesh.InvokeAsync<GridEntry?>(AgentId, GridCommands.Stat, new { path }, _options.CallTimeout, cancellationToken);

    /// <inheritdoc />
    public async Task<byte[]> ReadHeaderAsync(string path, int length, CancellationToken cancellationToken = default)
    {
        var reply = await _mesh.InvokeAsync<ChunkReply>(AgentId, GridCommands.Header, new { path, length }, _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        return reply?.Data ?? [];
    }

    /// <inheritdoc />
    public async Task<GridDigest> HashRangeAsync(string path, long offset = 0, long? length = null, GridHashAlgorithm algorithm = GridHashAlgorithm.Blake3, CancellationToken cancellationToken = default) =>
        await _mesh.InvokeAsync<GridDigest>(AgentId, GridCommands.Hash, new { path, offset, length, algorithm }, _options.LongCallTimeout, cancellationToken).ConfigureAwait(false)
        ?? throw new MeshInvocationException($"The star '{AgentId}' returned no digest.");

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        // Asks for the entry first, so that a refused or missing path fails here and the length is known.
        var entry = await GetEntryAsync(path, cancellationToken).ConfigureAwait(false);
        if (entry is not { Kind: GridEntryKind.File })
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.InvalidParameters, entry is null ? $"There is no file at '{path}'." : $"'{path}' is a {entry.Kind}, not a file."), agentId: AgentId);
        }

        var end = Local.RangeHasher.RangeEnd(entry.Size, offset, length);
        var stream = new RemoteReadStream(ReadChunkAsync, path, Math.Min(offset, end), end, _options.ChunkLength);
        try
        {
            // The first chunk is read now, so that a file the star refuses to open fails here, as locally.
            await stream.FillAsync(cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenWriteAsync(string path, long offset = 0, CancellationToken cancellationToken = default)
    {
        // Creates (or cuts) the file now, so that a refused path fails here rather than at the first flush.
        await WriteChunkAsync(path, offset, ReadOnlyMemory<byte>.Empty, truncate: true, cancellationToken).ConfigureAwait(false);
        return new RemoteWriteStream((position, data, ct) => WriteChunkAsync(path, position, data, truncate: false, ct), offset, _options.ChunkLength);
    }

    private async Task<byte[]> ReadChunkAsync(string path, long offset, int length, CancellationToken cancellationToken)
    {
        var reply = await _mesh.InvokeAsync<ChunkReply>(AgentId, GridCommands.Read, new { path, offset, length }, _options.CallTimeout, cancellationToken).ConfigureAwait(false);
        return reply?.Data ?? [];
    }

    private async Task WriteChunkAsync(string path, long offset, ReadOnlyMemory<byte> data, bool truncate, CancellationToken cancellationToken)
    {
        var parameters = new { path, offset, data = data.ToArray(), truncate };
        await _mesh.InvokeAsync<JsonElement>(AgentId, GridCommands.Write, parameters, _options.CallTimeout, cancellationToken).ConfigureAwait(false);
    }
}
