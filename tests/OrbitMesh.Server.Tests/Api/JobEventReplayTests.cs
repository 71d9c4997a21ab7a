using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Agent;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>
/// <c>GET /api/jobs/{id}/events</c> replays a job's history from the store (status, progress, items) and
/// honours <c>Last-Event-ID</c>: a watcher that comes after the job ended, or reconnects, misses nothing.
/// </summary>
public sealed class JobEventReplayTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("orbitmesh-replay-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFinishedStreamingJob_IsReplayedWhole_AndFromTheLastEventId(bool sqlite)
    {
        var db = Path.Combine(_directory, "orbitmesh.db");
        await using var server = await TestMeshServer.StartAsync(storage: sqlite ? b => b.UseSqlite(db) : null);
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("count", Count).Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var id = await SubmitAndWaitAsync(server, http);

        var whole = await EventsAsync(http, id, null);
        Assert.Equal(Enumerable.Range(1, 50), Items(whole));
        Assert.Equal("Pending", whole[0].Data.GetProperty("status").GetString());
        Assert.Equal(("status", "Completed"), (whole[^1].Type, whole[^1].Data.GetProperty("status").GetString()));
        Assert.Equal(whole.Select(e => e.Id).Order(), whole.Select(e => e.Id));
        Assert.Equal(whole.Count, whole.Select(e => e.Id).Distinct().Count());

        // Resumed after the 30th item: the 20 after it and the final status, nothing before.
        var thirtieth = whole.Where(e => e.Type == "item").ElementAt(29).Id;
        var resumed = await EventsAsync(http, id, thirtieth.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(31, 20), Items(resumed));
        Assert.All(resumed, e => Assert.True(e.Id > thirtieth));
        Assert.Equal("Completed", resumed[^1].Data.GetProperty("status").GetString());

        using var query = await http.GetAsync($"/api/jobs/{id}/events?after={thirtieth}");
        Assert.Equal(Enumerable.Range(31, 20), Items(Parse(await query.Content.ReadAsStringAsync())));

        using var bad = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{id}/events");
        bad.Headers.Add("Last-Event-ID", "yesterday");
        using var refused = await http.SendAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Last-Event-ID must be an event sequence number, not 'yesterday'", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutStoredItems_ALateWatcherGetsTheStatusHistoryOnly()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.Jobs.StoreStreamItems = false);
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("count", Count).Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var id = await SubmitAndWaitAsync(server, http);

        var events = await EventsAsync(http, id, null);
        Assert.Empty(Items(events));
        Assert.All(events, e => Assert.Equal("status", e.Type));
        Assert.Equal("Completed", events[^1].Data.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheHistory_SurvivesARestart()
    {
        var db = Path.Combine(_directory, "orbitmesh.db");
        string id;
        List<SseEvent> before;
        await using (var server = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db)))
        {
            await using var agent = server.NewAgent("a1").RegisterStreamHandler("count", Count).Build();
            await agent.ConnectAsync();
            using var http = new HttpClient { BaseAddress = server.Url };
            id = await SubmitAndWaitAsync(server, http);
            before = await EventsAsync(http, id, null);
        }

        await using var restarted = await TestMeshServer.StartAsync(storage: b => b.UseSqlite(db));
        using var again = new HttpClient { BaseAddress = restarted.Url };
        var after = await EventsAsync(again, id, null);
        Assert.Equal(before.Select(e => (e.Id, e.Type)), after.Select(e => (e.Id, e.Type)));
        Assert.Equal(Enumerable.Range(1, 50), Items(after));
    }

    [Fact]
    public async Task AWatcherThatAttachesMidway_GetsTheEarlierItemsThenTheLiveOnes_EachOnce()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("a1").RegisterStreamHandler("held", (command, ct) => Held(release.Task, ct)).Build();
        await agent.ConnectAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        using var post = await http.PostAsJsonAsync("/api/jobs", new { command = "held", pattern = "Streaming" });
        var id = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // The first ten items are in before anyone watches.
        await Wait.UntilAsync(async () => (await server.Services.GetRequiredService<OrbitMesh.Storage.IJobStore>().GetEventsAsync(id)).Count(e => e.Type == JobEventType.Item) == 10, "the first ten items to be stored");
        var watching = EventsAsync(http, id, null);
        await Wait.UntilAsync(() => server.Services.GetRequiredService<OrbitMesh.Server.Jobs.JobManager>().WatcherCount(id) == 1, "the watcher to attach");
        release.SetResult();

        var events = await watching;
        Assert.Equal(Enumerable.Range(1, 20), Items(events));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.Equal("Completed", events[^1].Data.GetProperty("status").GetString());
    }

    private static async Task<string> SubmitAndWaitAsync(TestMeshServer server, HttpClient http)
    {
        using var post = await http.PostAsJsonAsync("/api/jobs", new { command = "count", parameters = new { n = 50 }, pattern = "Streaming" });
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var id = (await post.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(id))!.Status == JobStatus.Completed, "the job to complete");
        return id;
    }

    private static async Task<List<SseEvent>> EventsAsync(HttpClient http, string id, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{id}/events");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static List<SseEvent> Parse(string text)
    {
        var events = new List<SseEvent>();
        foreach (var block in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            string? Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim();
            if (Field("data") is { } data)
            {
                events.Add(new SseEvent(long.Parse(Field("id")!, System.Globalization.CultureInfo.InvariantCulture), Field("event")!, JsonDocument.Parse(data).RootElement.Clone()));
            }
        }

        return events;
    }

    private static List<int> Items(List<SseEvent> events) =>
        events.Where(e => e.Type == "item").Select(e => e.Data.GetProperty("item").GetInt32()).ToList();

    private static async IAsyncEnumerable<object?> Count(MeshCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var n = command.GetParameter<int>("n");
        for (var i = 1; i <= n; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<object?> Held(Task release, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 1; i <= 10; i++)
        {
            yield return i;
        }

        await release.WaitAsync(ct);
        for (var i = 11; i <= 20; i++)
        {
            yield return i;
        }
    }

    private sealed record SseEvent(long Id, string Type, JsonElement Data);
}
