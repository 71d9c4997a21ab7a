using OrbitMesh.Modules;

namespace OrbitMesh.Storage.Sqlite.Tests;

public sealed class SqliteModuleStoreTests
{
    private static WasmModuleInfo Info(string name, string version, string digest, long size = 8) => new()
    {
        Name = name,
        Version = version,
        Sha256 = digest,
        Size = size,
        UploadedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
        UploadedBy = "user:admin",
    };

    [Fact]
    public async Task Add_ThenGetListAndContent_AcrossAReopen()
    {
        await using var temp = new TempDatabase();
        var first = temp.Open();
        var store = new SqliteModuleStore(first);
        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("m", "1", new string('a', 64)), new byte[] { 1, 2, 3 }));
        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("m", "2", new string('b', 64)), new byte[] { 4 }));
        Assert.Equal(ModuleAddOutcome.Added, await store.AddAsync(Info("a", "1", new string('c', 64)), new byte[] { 5 }));
        await first.DisposeAsync();

        var reopened = new SqliteModuleStore(temp.Open());
        var newest = await reopened.GetAsync("m", null);
        var pinned = await reopened.GetAsync("m", "1");
        var content = await reopened.GetContentAsync("m", "1");
        var all = await reopened.ListAsync();

        Assert.Equal("2", newest!.Version);
        Assert.Equal(new string('a', 64), pinned!.Sha256);
        Assert.Equal("user:admin", pinned.UploadedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), pinned.UploadedAt);
        Assert.Equal(new byte[] { 1, 2, 3 }, content);
        Assert.Equal(["a@1", "m@1", "m@2"], all.Select(m => m.Name + "@" + m.Version));
        Assert.Null(await reopened.GetAsync("none", null));
        Assert.Null(await reopened.GetContentAsync("m", "9"));
    }

    [Fact]
    public async Task Add_SameVersion_AlreadyStoredOrConflict()
    {
        await using var temp = new TempDatabase();
        var store = new SqliteModuleStore(temp.Open());
        await store.AddAsync(Info("m", "1", new string('a', 64)), new byte[] { 1 });

        var same = await store.AddAsync(Info("m", "1", new string('a', 64)), new byte[] { 1 });
        var other = await store.AddAsync(Info("m", "1", new string('b', 64)), new byte[] { 2 });

        Assert.Equal(ModuleAddOutcome.AlreadyStored, same);
        Assert.Equal(ModuleAddOutcome.Conflict, other);
        Assert.Equal(new byte[] { 1 }, await store.GetContentAsync("m", "1"));
    }
}
