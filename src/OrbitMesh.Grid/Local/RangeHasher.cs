using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace OrbitMesh.Grid.Local;

/// <summary>Hashes a range of an open file, reading it once in 1 MiB blocks.</summary>
internal static class RangeHasher
{
    private const int BlockSize = 1024 * 1024;

    public static async Task<GridDigest> HashAsync(SafeFileHandle handle, long offset, long? length, GridHashAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var end = RangeEnd(RandomAccess.GetLength(handle), offset, length);
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        using HashAlgorithm hash = algorithm switch
        {
            GridHashAlgorithm.Blake3 => new Blake3.Blake3HashAlgorithm(),
            GridHashAlgorithm.Sha256 => SHA256.Create(),
            _ => throw new Agent.MeshParameterException($"Unknown hash algorithm '{algorithm}'."),
        };
        try
        {
            var position = offset;
            while (position < end)
            {
                var want = (int)Math.Min(BlockSize, end - position);
                var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(0, want), position, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                hash.TransformBlock(buffer, 0, read, null, 0);

                position += read;
            }

            hash.TransformFinalBlock([], 0, 0);
            return new GridDigest(algorithm, offset, position - offset, Convert.ToHexStringLower(hash.Hash!));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Where a range ends in a file of <paramref name="fileLength"/> bytes; throws for a negative offset or length.</summary>
    public static long RangeEnd(long fileLength, long offset, long? length)
    {
        if (offset < 0 || length < 0)
        {
            throw new Agent.MeshParameterException("'offset' and 'length' must not be negative.");
        }

        var start = Math.Min(offset, fileLength);
        return length is { } l ? Math.Min(fileLength, start + Math.Min(l, long.MaxValue - start)) : fileLength;
    }
}
