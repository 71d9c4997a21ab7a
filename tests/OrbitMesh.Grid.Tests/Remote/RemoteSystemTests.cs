using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Grid.Star;

namespace OrbitMesh.Grid.Tests.Remote;

/// <summary>What a star returns through the mesh is what the local disk returns.</summary>
[Collection(nameof(StarsCollection))]
public sealed class RemoteSystemTests(StarsFixture stars)
{
    [Fact]
    public async Task ScanDirectoryAsync_ManyFiles_ArriveCompleteAcrossBatches()
    {
        var dir = Path.Combine(stars.RootA, "many");
        for (var i = 0; i < 2500; i++)
        {
            Directory.CreateDirectory(Path.Combine(dir, $"d{i % 10}"));
            await File.WriteAllTextAsync(Path.Combine(dir, $"d{i % 10}", $"f{i}.txt"), new string('x', i % 50));
        }

        var remote = await stars.StarA.ScanDirectoryAsync("many").ToListAsync();
        var local = await new LocalSystem().ScanDirectoryAsync(dir).ToListAsync();

        Assert.Equal(2510, remote.Count);
        Assert.Equal(local.OrderBy(e => e.Path, StringComparer.Ordinal), remote.OrderBy(e => e.Path, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ScanHandler_LongPaths_SplitsBatchesWellUnderTheHubLimit()
    {
        var tree = new TempTree();
        try
        {
            var deep = Path.Combine(tree.Root, new string('a', 250), new string('b', 250), new string('c', 250));
            Directory.CreateDirectory(deep);
            for (var i = 0; i < 600; i++)
            {
                File.Create(Path.Combine(deep, $"{new string('f', 240)}{i:D4}")).Dispose();
            }

            var system = new LocalSystem(new PathAllowList([tree.Root]));
            var command = new MeshCommand(GridCommands.Scan, JsonSerializer.SerializeToElement(new { path = tree.Root }), new ServiceCollection().BuildServiceProvider());
            var batches = await GridAgentBuilderExtensions.ScanAsync(system, command, CancellationToken.None).Cast<ScanBatch>().ToListAsync();

            Assert.Equal(603, batches.Sum(b => b.Entries.Count));
            Assert.True(batches.Count >= 2, $"{batches.Count} batches");
            Assert.All(batches, b => Assert.True(JsonSerializer.SerializeToUtf8Bytes(b, OrbitMeshJson.Options).Length < 512 * 1024));
        }
        finally
        {
            tree.Dispose();
        }
    }

    [Fact]
    public async Task HashHeaderStat_OnTheStar_MatchTheLocalDisk()
    {
        var file = Path.Combine(stars.RootA, "same.bin");
        await File.WriteAllBytesAsync(file, TempTree.Bytes(2_000_000, seed: 11));
        var local = new LocalSystem();

        foreach (var algorithm in new[] { GridHashAlgorithm.Blake3, GridHashAlgorithm.Sha256 })
        {
            Assert.Equal(await local.HashRangeAsync(file, 10, 1_500_000, algorithm), await stars.StarA.HashRangeAsync("same.bin", 10, 1_500_000, algorithm));
        }

        Assert.Equal(await local.ReadHeaderAsync(file, 512), await stars.StarA.ReadHeaderAsync("same.bin", 512));
        Assert.Equal(await local.GetEntryAsync(file), await stars.StarA.GetEntryAsync("same.bin"));
        Assert.Null(await stars.StarA.GetEntryAsync("not-there.bin"));
    }

    [Fact]
    public async Task OpenReadAsync_RangeAcrossChunks_ReadsExactlyThatRange()
    {
        var data = TempTree.Bytes(1_500_000, seed: 12);
        await File.WriteAllBytesAsync(Path.Combine(stars.RootA, "range.bin"), data);

        await using var stream = await stars.StarA.OpenReadAsync("range.bin", 100_000, 1_200_000);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(data.AsSpan(100_000, 1_200_000).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task OpenWriteAsync_ResumeFromAnOffset_KeepsTheStart()
    {
        var data = TempTree.Bytes(1_000_000, seed: 13);
        await using (var first = await stars.StarB.OpenWriteAsync("resume.bin"))
        {
            await first.WriteAsync(data.AsMemory(0, 600_000));
        }

        await using (var rest = await stars.StarB.OpenWriteAsync("resume.bin", 600_000))
        {
            await rest.WriteAsync(data.AsMemory(600_000));
        }

        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(stars.RootB, "resume.bin")));
        var ex = await Assert.ThrowsAnyAsync<OrbitMeshException>(() => stars.StarB.OpenWriteAsync("resume.bin", 2_000_000));
        Assert.Equal(MeshErrorCodes.InvalidParameters, ex.Code);
    }

    [Fact]
    public async Task UnknownAgent_FailsWithNoAgent()
    {
        var ex = await Assert.ThrowsAnyAsync<OrbitMeshException>(() => new RemoteSystem(stars.Server.Mesh, "no-such-star").HashRangeAsync("x"));

        Assert.NotEqual(MeshErrorCodes.NotAllowed, ex.Code);
    }
}
