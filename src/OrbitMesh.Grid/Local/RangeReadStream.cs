using Microsoft.Win32.SafeHandles;

namespace OrbitMesh.Grid.Local;

/// <summary>A read-only stream over one range of an open file, read with <see cref="RandomAccess"/>; owns the handle.</summary>
internal sealed class RangeReadStream : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly long _end;
    private long _position;

    public RangeReadStream(SafeFileHandle handle, long start, long end)
    {
        _handle = handle;
        _start = start;
        _end = end;
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

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = RandomAccess.Read(_handle, buffer[..Want(buffer.Length)], _position);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await RandomAccess.ReadAsync(_handle, buffer[..Want(buffer.Length)], _position, cancellationToken).ConfigureAwait(false);
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
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Want(int requested) => (int)Math.Min(requested, _end - _position);
}
