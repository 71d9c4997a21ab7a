using System.Diagnostics.Metrics;
using System.Net;
using OrbitMesh.Server.Diagnostics;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>The Prometheus exposition of System.Diagnostics.Metrics instruments, read back by a strict parser.</summary>
public sealed class PrometheusMetricsCollectorTests : IDisposable
{
    private readonly object _scope = new();
    private readonly Meter _meter;
    private readonly PrometheusMetricsCollector _collector;

    public PrometheusMetricsCollectorTests()
    {
        _meter = new Meter(new MeterOptions("OrbitMesh") { Scope = _scope });
        _collector = new PrometheusMetricsCollector(i => ReferenceEquals(i.Meter.Scope, _scope));
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    private Dictionary<string, PrometheusFamily> Scrape()
    {
        var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        _collector.Write(writer);
        return PrometheusTextParser.Parse(writer.ToString());
    }

    [Fact]
    public void Counter_WithAndWithoutTags_IsACounterFamilyEndingInTotal()
    {
        var counter = _meter.CreateCounter<long>("orbitmesh.jobs.finished", "{job}", "Jobs that finished.");
        counter.Add(2, new KeyValuePair<string, object?>("status", "completed"));
        counter.Add(3, new KeyValuePair<string, object?>("status", "completed"));
        counter.Add(1, new KeyValuePair<string, object?>("status", "failed"));
        counter.Add(7);

        var family = Scrape()["orbitmesh_jobs_finished"];

        Assert.Equal("counter", family.Type);
        Assert.Equal("Jobs that finished.", family.Help);
        Assert.Equal(5, family.Samples.Single(s => s.Label("status") == "completed").Value);
        Assert.Equal(1, family.Samples.Single(s => s.Label("status") == "failed").Value);
        Assert.Equal(7, family.Samples.Single(s => s.Labels.Count == 0).Value);
    }

    [Fact]
    public void Histogram_UsesTheAdvisedBuckets_WithSecondsInTheName()
    {
        var histogram = _meter.CreateHistogram("orbitmesh.job.duration", "s", "How long.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] });
        foreach (var value in new[] { 0.005, 0.01, 0.05, 0.5, 5 })
        {
            histogram.Record(value);
        }

        var family = Scrape()["orbitmesh_job_duration_seconds"];

        Assert.Equal("histogram", family.Type);
        var buckets = family.Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToDictionary(s => s.Label("le")!, s => s.Value);
        Assert.Equal(new Dictionary<string, double> { ["0.01"] = 2, ["0.1"] = 3, ["1"] = 4, ["+Inf"] = 5 }, buckets);
        Assert.Equal(5.565, family.Samples.Single(s => s.Name.EndsWith("_sum", StringComparison.Ordinal)).Value, 9);
        Assert.Equal(5, family.Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void Histogram_WithoutAdvice_UsesDefaultBuckets_PerTagSet()
    {
        var histogram = _meter.CreateHistogram<long>("payload.size", "By");
        histogram.Record(3, new KeyValuePair<string, object?>("kind", "a"));
        histogram.Record(30_000, new KeyValuePair<string, object?>("kind", "b"));

        var family = Scrape()["payload_size_bytes"];

        Assert.Equal(2, family.Samples.Count(s => s.Name == "payload_size_bytes_count"));
        Assert.Equal(1, family.Samples.Single(s => s.Label("kind") == "a" && s.Label("le") == "5").Value);
        Assert.Equal(0, family.Samples.Single(s => s.Label("kind") == "b" && s.Label("le") == "10000").Value);
        Assert.Equal(1, family.Samples.Single(s => s.Label("kind") == "b" && s.Label("le") == "+Inf").Value);
    }

    [Fact]
    public void UpDownCounterAndObservables_AreGauges_WithTheLatestObservation()
    {
        var upDown = _meter.CreateUpDownCounter<int>("queue.depth", "{job}");
        upDown.Add(5);
        upDown.Add(-2);
        var observed = 10;
        _meter.CreateObservableGauge("agents.connected", () => observed, "{agent}");
        _meter.CreateObservableCounter("bytes.sent", () => new Measurement<long>(1234, new KeyValuePair<string, object?>("dir", "out")), "By");

        var first = Scrape();
        observed = 11;
        var second = Scrape();

        Assert.Equal("gauge", first["queue_depth"].Type);
        Assert.Equal(3, first["queue_depth"].Samples.Single().Value);
        Assert.Equal(10, first["agents_connected"].Samples.Single().Value);
        Assert.Equal(11, second["agents_connected"].Samples.Single().Value);
        Assert.Equal("counter", second["bytes_sent_bytes"].Type);
        Assert.Equal(1234, second["bytes_sent_bytes"].Samples.Single(s => s.Label("dir") == "out").Value);
    }

    [Fact]
    public void NamesLabelsAndHelp_AreSanitizedAndEscaped()
    {
        var counter = _meter.CreateCounter<double>("my-weird.metric/name", "ms", "Line one\nback\\slash");
        counter.Add(1.5, new KeyValuePair<string, object?>("path.with-dash", "a \"quoted\"\nvalue\\"), new KeyValuePair<string, object?>("9lives", 9));

        var family = Scrape()["my_weird_metric_name_milliseconds"];

        Assert.Equal("Line one\nback\\slash", family.Help);
        var sample = family.Samples.Single();
        Assert.Equal("a \"quoted\"\nvalue\\", sample.Label("path_with_dash"));
        Assert.Equal("9", sample.Label("_9lives"));
        Assert.Equal(1.5, sample.Value);
    }

    [Fact]
    public async Task ConcurrentRecording_SumsExactly()
    {
        var counter = _meter.CreateCounter<long>("hits");
        var histogram = _meter.CreateHistogram<double>("latency", "s");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, new KeyValuePair<string, object?>("thread", t % 2));
                histogram.Record(0.001);
            }
        })));

        var scrape = Scrape();

        Assert.Equal(80_000, scrape["hits"].Samples.Sum(s => s.Value));
        Assert.Equal(80_000, scrape["latency_seconds"].Samples.Single(s => s.Name == "latency_seconds_count").Value);
        Assert.Equal(80, scrape["latency_seconds"].Samples.Single(s => s.Name == "latency_seconds_sum").Value, 6);
    }

    [Fact]
    public void OtherScopes_LatePublished_DisposedAndThrowing_AreHandled()
    {
        using var foreign = new Meter(new MeterOptions("OrbitMesh") { Scope = new object() });
        foreign.CreateCounter<long>("foreign.counter").Add(1);

        var late = _meter.CreateCounter<long>("late.counter");
        late.Add(4);
        _meter.CreateObservableGauge<int>("broken.gauge", (Func<int>)(() => throw new InvalidOperationException("boom")));
        _meter.CreateObservableGauge("fine.gauge", () => 1);

        using (var shortLived = new Meter(new MeterOptions("OrbitMesh") { Scope = _scope }))
        {
            shortLived.CreateCounter<long>("gone.counter").Add(1);
            Assert.Contains("gone_counter", Scrape().Keys);
        }

        var scrape = Scrape();
        Assert.DoesNotContain("foreign_counter", scrape.Keys);
        Assert.DoesNotContain("gone_counter", scrape.Keys);
        Assert.DoesNotContain("broken_gauge", scrape.Keys);
        Assert.Equal(4, scrape["late_counter"].Samples.Single().Value);
        Assert.Equal(1, scrape["fine_gauge"].Samples.Single().Value);
    }

    [Fact]
    public async Task MetricsEndpoint_OnARealServer_ExposesTheOrbitMeshInstruments()
    {
        await using var server = await TestMeshServer.StartAsync();
        await using var agent = server.NewAgent("metered").RegisterHandler("work", _ => "done").Build();
        await agent.ConnectAsync();
        var result = await server.Mesh.ExecuteAsync(new JobRequest { Command = "work" });
        Assert.Equal(JobStatus.Completed, result.Status);
        using var http = new HttpClient { BaseAddress = server.Url };

        // The caller may hear of the completion (through the job's events) a moment before the counters move.
        Dictionary<string, PrometheusFamily> families = [];
        await Wait.UntilAsync(async () =>
        {
            using var response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            families = PrometheusTextParser.Parse(await response.Content.ReadAsStringAsync());
            return families.ContainsKey("orbitmesh_jobs_finished");
        }, "the finished job to be counted");

        Assert.Equal(1, families["orbitmesh_agents_connected"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_jobs_finished"].Samples.Single(s => s.Label("status") == "completed").Value);
        Assert.Equal(1, families["orbitmesh_job_dispatch_latency_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
        Assert.Equal(1, families["orbitmesh_job_duration_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Label("status") == "completed").Value);
        Assert.Equal(0, families["orbitmesh_dispatch_queue_depth"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_handshakes_admitted"].Samples.Single().Value);
        Assert.Contains("orbitmesh_handshakes_active", families.Keys);
    }

    [Fact]
    public async Task MetricsEndpoint_CountsNacksAckTimeoutsLeaseExpiriesAndReconnects()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.Jobs.AckTimeout = TimeSpan.FromMilliseconds(300);
            o.Jobs.LeaseDuration = TimeSpan.FromMilliseconds(400);
        });
        await using var agent = await ScriptedAgent.ConnectAsync(server, "scripted", ["work"]);
        var jobId = (await server.Mesh.SubmitAsync(new JobRequest { Command = "work", MaxAttempts = 10 })).Id;

        // 1: refused (busy), 2: never acknowledged, 3: acknowledged, then its lease lapses, 4: completed.
        var first = await agent.NextAssignmentAsync("the first assignment");
        await agent.NackAsync(first, MeshErrorCodes.Busy);
        await agent.NextAssignmentAsync("the second assignment, left unacknowledged");
        var third = await agent.NextAssignmentAsync("the third assignment, after the acknowledgement timeout");
        Assert.True((await agent.AckAsync(third)).Accepted);
        var fourth = await agent.NextAssignmentAsync("the fourth assignment, after the lease lapsed");
        Assert.True((await agent.AckAsync(fourth)).Accepted);
        await agent.CompleteAsync(fourth, "done");
        await Wait.UntilAsync(async () => (await server.Mesh.GetJobAsync(jobId))!.Status == JobStatus.Completed, "the job completes");

        // The agent comes back on a new connection: a reconnect.
        await agent.DisposeAsync();
        await using var again = await ScriptedAgent.ConnectAsync(server, "scripted", ["work"]);

        using var http = new HttpClient { BaseAddress = server.Url };
        Dictionary<string, PrometheusFamily> families = [];
        await Wait.UntilAsync(async () =>
        {
            families = PrometheusTextParser.Parse(await http.GetStringAsync("/metrics"));
            return families.ContainsKey("orbitmesh_jobs_finished") && families.ContainsKey("orbitmesh_agent_reconnects");
        }, "the counters to move");
        Assert.Equal(1, families["orbitmesh_job_nacks"].Samples.Single(s => s.Label("code") == MeshErrorCodes.Busy).Value);
        Assert.Equal(1, families["orbitmesh_job_ack_timeouts"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_job_lease_expiries"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_agent_reconnects"].Samples.Single().Value);
        Assert.Equal(2, families["orbitmesh_job_dispatch_latency_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }
}
