namespace OrbitMesh.Grid.Tests.Remote;

/// <summary>
/// One "sync two directories" routine, written once against <see cref="IOrbitSystem"/>, run unchanged on
/// the local disk, between two stars through the mesh, and from the local disk to a star.
/// </summary>
[Collection(nameof(StarsCollection))]
public sealed class SyncRoutineTests(StarsFixture stars) : IDisposable
{
    private readonly TempTree _local = new();

    public void Dispose() => _local.Dispose();

    /// <summary>Copies every file of <paramref name="fromDir"/> that is missing or different in <paramref name="toDir"/>; returns how many it copied.</summary>
    private static async Task<int> SyncAsync(IOrbitSystem from, string fromDir, IOrbitSystem to, string toDir)
    {
        var existing = new Dictionary<string, GridEntry>(StringComparer.Ordinal);
        if (await to.GetEntryAsync(toDir) is { Kind: GridEntryKind.Directory })
        {
            await foreach (var entry in to.ScanDirectoryAsync(toDir))
            {
                existing[entry.Path] = entry;
            }
        }

        var copied = 0;
        await foreach (var entry in from.ScanDirectoryAsync(fromDir))
        {
            if (entry.Kind != GridEntryKind.File)
            {
                continue;
            }

            var source = GridCopy.Join(fromDir, entry.Path);
            var target = GridCopy.Join(toDir, entry.Path);
            if (existing.TryGetValue(entry.Path, out var there) && there.Size == entry.Size
                && (await from.HashRangeAsync(source)).Hex == (await to.HashRangeAsync(target)).Hex)
            {
                continue;
            }

            await using (var input = await from.OpenReadAsync(source))
            await using (var output = await to.OpenWriteAsync(target))
            {
                await input.CopyToAsync(output);
            }

            copied++;
        }

        return copied;
    }

    private static void Fill(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "docs/deep"));
        File.WriteAllText(Path.Combine(root, "readme.txt"), "hello grid");
        File.WriteAllBytes(Path.Combine(root, "docs/big.bin"), TempTree.Bytes(1_300_000, seed: 7));
        File.WriteAllBytes(Path.Combine(root, "docs/deep/empty.bin"), []);
    }

    private static Dictionary<string, string> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    private async Task RunScenarioAsync(IOrbitSystem from, string fromDir, string fromReal, IOrbitSystem to, string toDir, string toReal)
    {
        Fill(fromReal);

        Assert.Equal(3, await SyncAsync(from, fromDir, to, toDir));
        Assert.Equal(Snapshot(fromReal), Snapshot(toReal));
        Assert.Equal(0, await SyncAsync(from, fromDir, to, toDir));

        // Same size, different bytes: only the digests, computed on each side, tell them apart.
        File.WriteAllText(Path.Combine(fromReal, "readme.txt"), "HELLO GRID");
        Assert.Equal(1, await SyncAsync(from, fromDir, to, toDir));
        Assert.Equal(Snapshot(fromReal), Snapshot(toReal));
    }

    [Fact]
    public Task Sync_Standalone_OnTheLocalDisk() =>
        RunScenarioAsync(new LocalSystem(), _local["src"], _local.Dir("src"), new LocalSystem(), _local["dst"], _local["dst"]);

    [Fact]
    public Task Sync_GridMode_FromStarToStar() =>
        RunScenarioAsync(stars.StarA, "sync-src", Directory.CreateDirectory(Path.Combine(stars.RootA, "sync-src")).FullName, stars.StarB, "sync-dst", Path.Combine(stars.RootB, "sync-dst"));

    [Fact]
    public Task Sync_Mixed_FromTheLocalDiskToAStar() =>
        RunScenarioAsync(new LocalSystem(), _local["mixed"], _local.Dir("mixed"), stars.StarB, "sync-mixed", Path.Combine(stars.RootB, "sync-mixed"));
}
