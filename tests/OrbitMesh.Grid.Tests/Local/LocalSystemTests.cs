using System.Security.Cryptography;

namespace OrbitMesh.Grid.Tests.Local;

public sealed class LocalSystemTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly LocalSystem _system = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task ScanDirectoryAsync_Tree_ListsEveryEntryRelativeWithKindsAndSizes()
    {
        _tree.File("a.txt", "hello");
        _tree.File("sub/b.bin", new byte[1234]);
        _tree.Dir("sub/empty");
        var outside = _tree.Dir("elsewhere");
        _tree.File("elsewhere/hidden.txt", "x");
        File.CreateSymbolicLink(_tree["sub/link"], outside);

        var entries = await _system.ScanDirectoryAsync(_tree.Root).ToListAsync();

        var byPath = entries.ToDictionary(e => e.Path);
        Assert.Equal(new GridEntry("a.txt", 5, File.GetLastWriteTimeUtc(_tree["a.txt"]), GridEntryKind.File), byPath["a.txt"]);
        Assert.Equal(1234, byPath["sub/b.bin"].Size);
        Assert.Equal(GridEntryKind.Directory, byPath["sub/empty"].Kind);
        Assert.Equal(GridEntryKind.Link, byPath["sub/link"].Kind);
        Assert.DoesNotContain("sub/link/hidden.txt", byPath.Keys);
        Assert.Contains("elsewhere/hidden.txt", byPath.Keys);
    }

    [Fact]
    public async Task ScanDirectoryAsync_NotADirectory_IsRefused()
    {
        var file = _tree.File("a.txt", "x");

        await Assert.ThrowsAsync<Agent.MeshParameterException>(async () => await _system.ScanDirectoryAsync(file).ToListAsync());
    }

    [Fact]
    public async Task HashRangeAsync_Blake3AndSha256_MatchKnownDigests()
    {
        var empty = _tree.File("empty", []);
        var data = TempTree.Bytes(3 * 1024 * 1024 + 17, seed: 1);
        var file = _tree.File("data.bin", data);

        // The BLAKE3 digest of no bytes, from the BLAKE3 specification's test vectors.
        Assert.Equal("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", (await _system.HashRangeAsync(empty)).Hex);
        Assert.Equal(Blake3.Hasher.Hash(data).ToString(), (await _system.HashRangeAsync(file)).Hex);
        var sha = await _system.HashRangeAsync(file, algorithm: GridHashAlgorithm.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sha.Hex);
        Assert.Equal(data.Length, sha.Length);
    }

    [Fact]
    public async Task HashRangeAsync_Range_HashesOnlyThoseBytesAndStopsAtTheEnd()
    {
        var data = TempTree.Bytes(10_000, seed: 2);
        var file = _tree.File("data.bin", data);

        var middle = await _system.HashRangeAsync(file, 1000, 2000, GridHashAlgorithm.Sha256);
        var tail = await _system.HashRangeAsync(file, 9000, 5000, GridHashAlgorithm.Sha256);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(1000, 2000))), middle.Hex);
        Assert.Equal(new GridDigest(GridHashAlgorithm.Sha256, 9000, 1000, Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(9000)))), tail);
        await Assert.ThrowsAsync<Agent.MeshParameterException>(() => _system.HashRangeAsync(file, -1));
    }

    [Fact]
    public async Task ReadHeaderAsync_ReturnsTheFirstBytesAndRefusesTooLong()
    {
        var file = _tree.File("doc.pdf", "%PDF-1.7 rest of it");

        Assert.Equal("%PDF-1.7"u8.ToArray(), await _system.ReadHeaderAsync(file, 8));
        Assert.Equal(19, (await _system.ReadHeaderAsync(file, 100)).Length);
        await Assert.ThrowsAsync<Agent.MeshParameterException>(() => _system.ReadHeaderAsync(file, GridLimits.MaxHeaderLength + 1));
    }

    [Fact]
    public async Task OpenReadAsync_Range_ReadsExactlyThatRange()
    {
        var data = TempTree.Bytes(5000, seed: 3);
        var file = _tree.File("data.bin", data);

        await using var stream = await _system.OpenReadAsync(file, 100, 300);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(data.AsSpan(100, 300).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task OpenWriteAsync_AtAnOffset_KeepsTheStartAndReplacesTheRest()
    {
        var file = _tree.File("out.bin", "0123456789");

        await using (var stream = await _system.OpenWriteAsync(file, 4))
        {
            await stream.WriteAsync("ab"u8.ToArray());
        }

        Assert.Equal("0123ab", await File.ReadAllTextAsync(file));
        await Assert.ThrowsAsync<Agent.MeshParameterException>(() => _system.OpenWriteAsync(file, 100));
    }

    [Fact]
    public async Task OpenWriteAsync_NewFileInNewDirectories_CreatesThem()
    {
        await using (var stream = await _system.OpenWriteAsync(_tree["x/y/z.txt"]))
        {
            await stream.WriteAsync("hi"u8.ToArray());
        }

        Assert.Equal("hi", await File.ReadAllTextAsync(_tree["x/y/z.txt"]));
    }

    [Fact]
    public async Task GetEntryAsync_FileDirectoryMissing()
    {
        var file = _tree.File("a.txt", "abc");

        Assert.Equal(new GridEntry("a.txt", 3, File.GetLastWriteTimeUtc(file), GridEntryKind.File), await _system.GetEntryAsync(file));
        Assert.Equal(GridEntryKind.Directory, (await _system.GetEntryAsync(_tree.Root))!.Kind);
        Assert.Null(await _system.GetEntryAsync(_tree["missing"]));
    }
}
