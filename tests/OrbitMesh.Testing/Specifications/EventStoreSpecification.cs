using System.Text.Json;
using OrbitMesh.Storage;
using Xunit;

namespace OrbitMesh.Testing.Specifications;

/// <summary>What every <see cref="IEventStore"/> must do. Provider test projects inherit it.</summary>
public abstract class EventStoreSpecification : IAsyncLifetime
{
    protected IEventStore Store { get; private set; } = null!;

    protected abstract Task<IEventStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public Task DisposeAsync() => DisposeStoreAsync();

    protected static EventData Event(string type, object payload) => new(type, JsonSerializer.SerializeToElement(payload));

    [Fact]
    public async Task Append_ToANewStream_StartsAtOne()
    {
        var version = await Store.AppendAsync("s1", 0, [Event("A", new { n = 1 }), Event("B", new { n = 2 })]);
        var events = await Store.LoadAsync("s1");

        Assert.Equal(2, version);
        Assert.Equal([1L, 2L], events.Select(e => e.Sequence));
        Assert.Equal(["A", "B"], events.Select(e => e.Type));
        Assert.Equal(2, events[1].Payload.GetProperty("n").GetInt32());
        Assert.Equal(2, await Store.GetVersionAsync("s1"));
    }

    [Fact]
    public async Task Append_WithAStaleExpectedVersion_ThrowsAClearConcurrencyError_AndWritesNothing()
    {
        await Store.AppendAsync("s2", 0, [Event("A", new { })]);

        var error = await Assert.ThrowsAsync<EventStoreConcurrencyException>(() => Store.AppendAsync("s2", 0, [Event("B", new { })]).AsTask());

        Assert.Equal(0, error.ExpectedVersion);
        Assert.Equal(1, error.ActualVersion);
        Assert.Contains("s2", error.Message, StringComparison.Ordinal);
        Assert.Single(await Store.LoadAsync("s2"));
    }

    [Fact]
    public async Task ConcurrentAppends_AtTheSameVersion_OnlyOneWins()
    {
        await Store.AppendAsync("s3", 0, [Event("A", new { })]);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await Store.AppendAsync("s3", 1, [Event("B", new { i })]);
                return true;
            }
            catch (EventStoreConcurrencyException)
            {
                return false;
            }
        }));

        Assert.Equal(1, attempts.Count(won => won));
        Assert.Equal(2, await Store.GetVersionAsync("s3"));
    }

    [Fact]
    public async Task Load_FromAVersion_ReturnsOnlyLaterEvents()
    {
        await Store.AppendAsync("s4", 0, Enumerable.Range(1, 10).Select(i => Event("E", new { i })).ToList());
        var tail = await Store.LoadAsync("s4", fromSequence: 8);
        Assert.Equal([8L, 9L, 10L], tail.Select(e => e.Sequence));
        Assert.Empty(await Store.LoadAsync("missing"));
        Assert.Equal(0, await Store.GetVersionAsync("missing"));
    }

    [Fact]
    public async Task Snapshots_KeepTheLatest_AndPruneLeavesTheVersion()
    {
        await Store.AppendAsync("s5", 0, Enumerable.Range(1, 5).Select(i => Event("E", new { i })).ToList());
        await Store.SaveSnapshotAsync(new Snapshot("s5", 3, JsonSerializer.SerializeToElement(new { total = 6 }), DateTimeOffset.UtcNow));
        await Store.SaveSnapshotAsync(new Snapshot("s5", 2, JsonSerializer.SerializeToElement(new { total = 3 }), DateTimeOffset.UtcNow));

        var snapshot = await Store.LoadSnapshotAsync("s5");
        Assert.Equal(3, snapshot!.Version);
        Assert.Equal(6, snapshot.State.GetProperty("total").GetInt32());

        Assert.Equal(3, await Store.PruneAsync("s5", 3));
        Assert.Equal([4L, 5L], (await Store.LoadAsync("s5")).Select(e => e.Sequence));
        Assert.Equal(5, await Store.GetVersionAsync("s5"));
        Assert.Equal(6, await Store.AppendAsync("s5", 5, [Event("E", new { i = 6 })]));
    }
}
