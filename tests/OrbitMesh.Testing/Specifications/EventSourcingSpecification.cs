using System.Text.Json;
using System.Text.Json.Nodes;
using OrbitMesh.Storage;
using OrbitMesh.Twins;
using Xunit;

namespace OrbitMesh.Testing.Specifications;

/// <summary>
/// Property-style check of event sourcing over a provider: for many random histories of twin changes,
/// appended in random chunks with snapshots every N events, the state rebuilt from storage (latest
/// snapshot plus the events after it) equals the state kept live while appending, and equals a fold of
/// all events from the start.
/// </summary>
public abstract class EventSourcingSpecification : IAsyncLifetime
{
    protected IEventStore Store { get; private set; } = null!;

    protected abstract Task<IEventStore> CreateStoreAsync();

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public Task DisposeAsync() => DisposeStoreAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public async Task RandomHistories_RebuiltStateEqualsLiveState(int snapshotEvery)
    {
        var model = new TwinModel();
        var store = new EventSourcedStore<AgentTwin>(Store, model, snapshotEvery);
        for (var seed = 0; seed < 25; seed++)
        {
            var random = new Random(seed * 7919 + snapshotEvery);
            var stream = $"twin:agent-{snapshotEvery}-{seed}";
            var live = model.Initial;
            long version = 0;
            var all = new List<DomainEvent>();
            var steps = random.Next(1, 60);
            while (steps > 0)
            {
                var chunk = Math.Min(steps, random.Next(1, 5));
                steps -= chunk;
                var events = Enumerable.Range(0, chunk).Select(_ => RandomEvent(random, live, all)).ToList();
                (live, version) = await store.AppendAsync(stream, version, live, events);
                all.AddRange(events);

                var (rebuilt, rebuiltVersion) = await store.LoadAsync(stream);
                Assert.Equal(version, rebuiltVersion);
                AssertSame(live, rebuilt, $"seed {seed}, version {version}");
            }

            var folded = (await store.LoadEventsAsync(stream)).Aggregate(model.Initial, model.Apply);
            AssertSame(live, folded, $"seed {seed}, full replay");
            Assert.Equal(all.Count, version);
        }
    }

    [Fact]
    public async Task Append_WithAStaleVersion_IsRefused_AndTheStateIsUnchanged()
    {
        var store = new EventSourcedStore<AgentTwin>(Store, new TwinModel(), 5);
        var patch = JsonSerializer.SerializeToElement(new { mode = "a" });
        var (state, version) = await store.AppendAsync("twin:x", 0, new TwinModel().Initial, [new DesiredPatched(1, patch)]);

        await Assert.ThrowsAsync<EventStoreConcurrencyException>(() =>
            store.AppendAsync("twin:x", 0, state, [new DesiredPatched(2, JsonSerializer.SerializeToElement(new { mode = "b" }))]).AsTask());

        var (loaded, loadedVersion) = await store.LoadAsync("twin:x");
        Assert.Equal(version, loadedVersion);
        Assert.Equal("a", loaded.Desired.GetProperty("mode").GetString());
    }

    private static DomainEvent RandomEvent(Random random, AgentTwin live, List<DomainEvent> soFar)
    {
        var desiredVersion = soFar.OfType<DesiredPatched>().Select(e => e.Version).DefaultIfEmpty(live.DesiredVersion).Max();
        var reportedVersion = soFar.OfType<ReportedPatched>().Select(e => e.Version).DefaultIfEmpty(live.ReportedVersion).Max();
        return random.Next(3) switch
        {
            0 => new DesiredPatched(desiredVersion + 1, RandomPatch(random)),
            1 => new ReportedPatched(reportedVersion + 1, RandomPatch(random)),
            _ => new DesiredAcknowledged(random.Next(0, (int)desiredVersion + 1)),
        };
    }

    private static JsonElement RandomPatch(Random random)
    {
        var patch = new JsonObject();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var key = "k" + random.Next(6);
            patch[key] = random.Next(5) switch
            {
                0 => null,
                1 => random.Next(100),
                2 => "v" + random.Next(10),
                3 => new JsonObject { ["inner" + random.Next(3)] = random.Next(2) == 0 ? null : random.Next(10) },
                _ => random.Next(2) == 0,
            };
        }

        return JsonSerializer.SerializeToElement(patch);
    }

    private static void AssertSame(AgentTwin expected, AgentTwin actual, string context)
    {
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.Desired.GetRawText()), JsonNode.Parse(actual.Desired.GetRawText())), $"desired differs at {context}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.Reported.GetRawText()), JsonNode.Parse(actual.Reported.GetRawText())), $"reported differs at {context}");
        Assert.Equal(expected.DesiredVersion, actual.DesiredVersion);
        Assert.Equal(expected.ReportedVersion, actual.ReportedVersion);
        Assert.Equal(expected.AcknowledgedDesiredVersion, actual.AcknowledgedDesiredVersion);
    }
}
