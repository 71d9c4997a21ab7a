namespace OrbitMesh.Transport;

/// <summary>
/// A byte buffer that received frames are appended to and parsed messages are consumed from.
/// </summary>
internal sealed class GrowableBuffer(int initialCapacity)
{
    private byte[] _buffer = new byte[initialCapacity];
    private int _start;
    private int _end;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(_start, _end - _start);

    public int Length => _end - _start;

    public Memory<byte> GetMemory(int sizeHint)
    {
        if (_buffer.Length - _end < sizeHint)
        {
            var length = _end - _start;
            if (_start > 0 && _buffer.Length - length >= sizeHint)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
            }
            else
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, length + sizeHint)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, length);
                _buffer = bigger;
            }

            _start = 0;
            _end = length;
        }

        return _buffer.AsMemory(_end);
    }

    public void Advance(int count) => _end += count;

    public void Consume(int count)
    {
        _start += count;
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetMemory(data.Length).Span);
        Advance(data.Length);
    }
}
