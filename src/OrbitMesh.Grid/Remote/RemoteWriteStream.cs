namespace OrbitMesh.Grid.Remote;

/// <summary>
/// A write-only stream to a star's file: bytes are gathered into chunks and each full chunk is sent in
/// order. Dispose it (asynchronously, preferably) to send the last chunk; a failed send fails the write
/// or the dispose that made it.
/// </summary>
internal sealed class RemoteWriteStream : Stream
{
    private readonly Func<long, ReadOnlyMemory<byte>, CancellationToken, Task> _send;
    private readonly byte[] _buffer;
    private int _buffered;
    private long _position;
    private bool _closed;

    public RemoteWriteStream(Func<long, ReadOnlyMemory<byte>, CancellationToken, Task> send, long offset, int chunkLength)
    {
        _send = send;
        _buffer = new byte[chunkLength];
        _position = offset;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_closed;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position + _buffered;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, _buffer.Length - _buffered);
            buffer[..n].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += n;
            buffer = buffer[n..];
            if (_buffered == _buffer.Length)
            {
                await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Flush() => FlushAsync().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => SendBufferedAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            try
            {
                await SendBufferedAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _closed = true;
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_closed)
        {
            try
            {
                SendBufferedAsync(CancellationToken.None).GetAwaiter().GetResult();
            }
            finally
            {
                _closed = true;
            }
        }

        base.Dispose(disposing);
    }

    private async Task SendBufferedAsync(CancellationToken cancellationToken)
    {
        if (_buffered == 0)
        {
            return;
        }

        await _send(_position, _buffer.AsMemory(0, _buffered), cancellationToken).ConfigureAwait(false);
        _position += _buffered;
        _buffered = 0;
    }
}
