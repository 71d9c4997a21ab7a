namespace OrbitMesh.Grid.Tests.Copy;

[Collection(nameof(StarsCollection))]
public sealed class GridCopyTests(StarsFixture stars) : IDisposable
{
    private readonly TempTree _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task CopyAsync_LargeFileStarToStar_ArrivesWithTheSameDigestAndReportsProgress()
    {
        var data = TempTree.Bytes(24 * 1024 * 1024, seed: 21);
        await File.WriteAllBytesAsync(Path.Combine(stars.RootA, "large.bin"), data);
        var reports = new List<GridCopyProgress>();

        var result = await GridCopy.CopyAsync(stars.StarA, "large.bin", stars.StarB, "copies/large.bin", new SyncProgress(reports.Add));

        var copied = Assert.Single(result.Files);
        Assert.Equal(data.Length, result.Bytes);
        Assert.Equal(Blake3.Hasher.Hash(data).ToString(), copied.Blake3);
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(stars.RootB, "copies/large.bin")));
        Assert.True(reports.Count > 10);
        Assert.Equal(reports.Select(r => r.BytesCopied).Order(), reports.Select(r => r.BytesCopied));
        Assert.Equal(new GridCopyProgress("large.bin", data.Length, data.Length, 1, 1), reports[^1]);
    }

    [Fact]
    public async Task CopyAsync_Directory_CopiesEveryFileAndListsThem()
    {
        _local.File("tree/a.txt", "a");
        _local.File("tree/sub/b.txt", "bb");
        _local.Dir("tree/sub/empty");

        var result = await GridCopy.CopyAsync(new LocalSystem(), _local["tree"], new LocalSystem(), _local["copy"]);

        Assert.Equal(["a.txt", "sub/b.txt"], result.Files.Select(f => f.Path));
        Assert.Equal(3, result.Bytes);
        Assert.Equal("bb", await File.ReadAllTextAsync(_local["copy/sub/b.txt"]));
    }

    [Fact]
    public async Task CopyAsync_TargetCorruptsABit_FailsWithDigestMismatch()
    {
        _local.File("src.bin", TempTree.Bytes(100_000, seed: 22));

        var ex = await Assert.ThrowsAsync<GridDigestMismatchException>(() =>
            GridCopy.CopyAsync(new LocalSystem(), _local["src.bin"], new CorruptingSystem(new LocalSystem()), _local["dst.bin"]));

        Assert.Equal("digest_mismatch", ex.Code);
    }

    [Fact]
    public async Task CopyAsync_Nothing_IsRefused() =>
        await Assert.ThrowsAsync<Agent.MeshParameterException>(() => GridCopy.CopyAsync(new LocalSystem(), _local["missing"], new LocalSystem(), _local["dst"]));

    /// <summary>Reports synchronously, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<GridCopyProgress> report) : IProgress<GridCopyProgress>
    {
        public void Report(GridCopyProgress value) => report(value);
    }

    /// <summary>A system whose writes flip the first byte, as a faulty disk or link would.</summary>
    private sealed class CorruptingSystem(IOrbitSystem inner) : IOrbitSystem
    {
        public IAsyncEnumerable<GridEntry> ScanDirectoryAsync(string path, CancellationToken cancellationToken = default) => inner.ScanDirectoryAsync(path, cancellationToken);

        public Task<GridEntry?> GetEntryAsync(string path, CancellationToken cancellationToken = default) => inner.GetEntryAsync(path, cancellationToken);

        public Task<byte[]> ReadHeaderAsync(string path, int length, CancellationToken cancellationToken = default) => inner.ReadHeaderAsync(path, length, cancellationToken);

        public Task<GridDigest> HashRangeAsync(string path, long offset = 0, long? length = null, GridHashAlgorithm algorithm = GridHashAlgorithm.Blake3, CancellationToken cancellationToken = default) =>
            inner.HashRangeAsync(path, offset, length, algorithm, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, offset, length, cancellationToken);

        public async Task<Stream> OpenWriteAsync(string path, long offset = 0, CancellationToken cancellationToken = default) =>
            new FlipFirstByte(await inner.OpenWriteAsync(path, offset, cancellationToken));
    }

    private sealed class FlipFirstByte(Stream inner) : Stream
    {
        private bool _flipped;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (!_flipped && count > 0)
            {
                buffer[offset] ^= 1;
                _flipped = true;
            }

            inner.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
