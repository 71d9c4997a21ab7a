namespace OrbitMesh.Grid.Remote;

/// <summary>
/// A read-only stream over a range of a star's file, fetched chunk by chunk; the next chunk is asked for
/// while the current one is read, so that the round trips overlap the copying.
/// </summary>
internal sealed class RemoteReadStream : Stream
{
    private readonly Func<string, long, int, CancellationToken, Task<byte[]>> _fetch;
    private readonly string _path;
    private readonly long _start;
    private readonly long _end;
    private readonly int _chunkLength;
    private readonly CancellationTokenSource _disposed = new();
    private long _requested;
    private long _position;
    private Task<byte[]>? _next;
    private byte[] _current = [];
    private int _currentOffset;

    public RemoteReadStream(Func<string, long, int, CancellationToken, Task<byte[]>> fetch, string path, long start, long end, int chunkLength)
    {
        _fetch = fetch;
        _path = path;
        _start = start;
        _end = end;
        _chunkLength = chunkLength;
        _requested = start;
        _position = start;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _end - _start;

    public override long Position
    {
        get => _position - _start;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Fetches the first chunk (an empty read for an empty range, which still has the star open the file).</summary>
    public async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_position >= _end)
        {
            await _fetch(_path, _position, 0, cancellationToken).ConfigureAwait(false);
            return;
        }

        await NextChunkAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_currentOffset == _current.Length)
        {
            if (_position >= _end || buffer.Length == 0)
            {
                return 0;
            }

            await NextChunkAsync(cancellationToken).ConfigureAwait(false);
        }

        var n = Math.Min(buffer.Length, _current.Length - _currentOffset);
        _current.AsMemory(_currentOffset, n).CopyTo(buffer);
        _currentOffset += n;
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _disposed.Cancel();
            _next?.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            _disposed.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task NextChunkAsync(CancellationToken cancellationToken)
    {
        _next ??= Request();
        _current = await _next.WaitAsync(cancellationToken).ConfigureAwait(false);
        _currentOffset = 0;
        _next = _requested < _end ? Request() : null;
        if (_current.Length == 0)
        {
            throw new IOException($"'{_path}' ended at {_position} bytes, before the {_end} expected (it changed while being read).");
        }
    }

    private Task<byte[]> Request()
    {
        var length = (int)Math.Min(_chunkLength, _end - _requested);
        var task = _fetch(_path, _requested, length, _disposed.Token);
        _requested += length;
        return task;
    }
}
