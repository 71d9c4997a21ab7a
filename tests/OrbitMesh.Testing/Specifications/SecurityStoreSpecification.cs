using OrbitMesh.Storage;
using Xunit;

namespace OrbitMesh.Testing.Specifications;

/// <summary>What every <see cref="ISecurityStore"/> must do. Provider test projects inherit it.</summary>
public abstract class SecurityStoreSpecification : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected ISecurityStore Store { get; private set; } = null!;

    protected abstract Task<ISecurityStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public Task DisposeAsync() => DisposeStoreAsync();

    private static SecurityDocument Doc(string id, long version, string data, string kind = "token") =>
        new() { Kind = kind, Id = id, Version = version, Data = data };

    [Fact]
    public async Task TrySave_New_ThenGet_RoundTrips()
    {
        Assert.True(await Store.TrySaveAsync(Doc("a", 1, """{"x":1}""")));

        var stored = await Store.GetAsync("token", "a");

        Assert.Equal(Doc("a", 1, """{"x":1}"""), stored);
        Assert.Null(await Store.GetAsync("node", "a"));
        Assert.Null(await Store.GetAsync("token", "b"));
    }

    [Fact]
    public async Task TrySave_SecondNewRecordWithSameId_IsRefused()
    {
        Assert.True(await Store.TrySaveAsync(Doc("a", 1, "first")));

        Assert.False(await Store.TrySaveAsync(Doc("a", 1, "second")));
        Assert.Equal("first", (await Store.GetAsync("token", "a"))!.Data);
    }

    [Fact]
    public async Task TrySave_AtTheVersionRead_Replaces_AStaleOne_IsRefused()
    {
        await Store.TrySaveAsync(Doc("a", 1, "v1"));

        Assert.True(await Store.TrySaveAsync(Doc("a", 2, "v2")));
        Assert.False(await Store.TrySaveAsync(Doc("a", 2, "also v2")));
        Assert.False(await Store.TrySaveAsync(Doc("a", 5, "skips")));
        Assert.False(await Store.TrySaveAsync(Doc("missing", 2, "never created")));

        var stored = await Store.GetAsync("token", "a");
        Assert.Equal(2, stored!.Version);
        Assert.Equal("v2", stored.Data);
        Assert.Null(await Store.GetAsync("token", "missing"));
    }

    [Fact]
    public async Task TrySave_Concurrent_ExactlyOneWins()
    {
        await Store.TrySaveAsync(Doc("a", 1, "v1"));

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Store.TrySaveAsync(Doc("a", 2, "writer " + i)).AsTask()));

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task List_OneKind_OrderedById()
    {
        await Store.TrySaveAsync(Doc("b", 1, "b"));
        await Store.TrySaveAsync(Doc("a", 1, "a"));
        await Store.TrySaveAsync(Doc("c", 1, "c", kind: "node"));

        var tokens = await Store.ListAsync("token");

        Assert.Equal(["a", "b"], tokens.Select(d => d.Id));
        Assert.Empty(await Store.ListAsync("user"));
    }

    [Fact]
    public async Task Delete_RemovesOnlyThatRecord()
    {
        await Store.TrySaveAsync(Doc("a", 1, "a"));
        await Store.TrySaveAsync(Doc("a", 1, "a", kind: "node"));

        Assert.True(await Store.DeleteAsync("token", "a"));
        Assert.False(await Store.DeleteAsync("token", "a"));

        Assert.Null(await Store.GetAsync("token", "a"));
        Assert.NotNull(await Store.GetAsync("node", "a"));
        Assert.True(await Store.TrySaveAsync(Doc("a", 1, "again")));
    }

    [Fact]
    public async Task Audit_Appends_InSequence_QueriedNewestFirst()
    {
        var first = await Store.AppendAuditAsync(new AuditEntry { Type = "token.created", Timestamp = T0, Actor = "user:admin", Subject = "t1" });
        var second = await Store.AppendAuditAsync(new AuditEntry
        {
            Type = "auth.failed", Timestamp = T0.AddSeconds(1), Success = false, Reason = "expired", RemoteAddress = "127.0.0.1",
        });

        Assert.True(second.Sequence > first.Sequence);
        var all = await Store.QueryAuditAsync(new AuditQuery());
        Assert.Equal([second, first], all);
        Assert.False(all[0].Success);
        Assert.Equal("expired", all[0].Reason);
        Assert.Equal("127.0.0.1", all[0].RemoteAddress);
        Assert.Equal(T0.AddSeconds(1), all[0].Timestamp);
        Assert.Null(all[0].Actor);
    }

    [Fact]
    public async Task Audit_Query_FiltersByTypePrefixSubjectTimeAndPage()
    {
        var entries = new List<AuditEntry>();
        string[] types = ["token.created", "token.used", "enrollment.requested", "token.revoked"];
        for (var i = 0; i < types.Length; i++)
        {
            entries.Add(await Store.AppendAuditAsync(new AuditEntry { Type = types[i], Timestamp = T0.AddMinutes(i), Subject = i % 2 == 0 ? "x" : "y" }));
        }

        Assert.Equal(["token.revoked", "token.used", "token.created"], (await Store.QueryAuditAsync(new AuditQuery { Type = "token.*" })).Select(e => e.Type));
        Assert.Equal(["token.used"], (await Store.QueryAuditAsync(new AuditQuery { Type = "token.used" })).Select(e => e.Type));
        Assert.Equal(["enrollment.requested", "token.created"], (await Store.QueryAuditAsync(new AuditQuery { Subject = "x" })).Select(e => e.Type));
        Assert.Equal(["token.revoked", "enrollment.requested"], (await Store.QueryAuditAsync(new AuditQuery { Since = T0.AddMinutes(2) })).Select(e => e.Type));
        Assert.Equal(["token.used", "token.created"], (await Store.QueryAuditAsync(new AuditQuery { Before = entries[2].Sequence })).Select(e => e.Type));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery { Limit = 1 }));
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery { Limit = 0 }));
        Assert.Empty(await Store.QueryAuditAsync(new AuditQuery { Type = "token" }));
    }
}
