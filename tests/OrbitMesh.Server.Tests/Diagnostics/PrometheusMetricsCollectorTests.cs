using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using OrbitMesh.Server.Diagnostics;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>
/// The Prometheus exposition of System.Diagnostics.Metrics instruments, read back by the strict
/// <see cref="PrometheusTextParser"/>. Each test has its own meter scope and collector, so tests
/// running in parallel do not see each other's instruments.
/// </summary>
public sealed class PrometheusMetricsCollectorTests : IDisposable
{
    private static readonly KeyValuePair<string, object?> Completed = new("status", "completed");
    private static readonly KeyValuePair<string, object?> Failed = new("status", "failed");

    private readonly object _scope = new();
    private readonly Meter _meter;
    private readonly PrometheusMetricsCollector _collector;

    public PrometheusMetricsCollectorTests()
    {
        _collector = new PrometheusMetricsCollector(Include);
        _meter = new Meter(new MeterOptions("OrbitMesh") { Scope = _scope }); // published after the collector started
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    /// <summary>The server's filter, with this test's scope in place of its meter factory.</summary>
    private bool Include(Instrument instrument) => instrument.Meter.Name == "OrbitMesh" && ReferenceEquals(instrument.Meter.Scope, _scope);

    private string Text()
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        _collector.Write(writer);
        return writer.ToString();
    }

    private Dictionary<string, PrometheusFamily> Scrape() => PrometheusTextParser.Parse(Text());

    private static double Value(PrometheusFamily family, params (string Name, string Value)[] labels) =>
        family.Samples.Single(s => s.Labels.Count == labels.Length && labels.All(l => s.Label(l.Name) == l.Value)).Value;

    // ---- kinds --------------------------------------------------------------------------------

    [Fact]
    public void Counter_WithAndWithoutTags_IsACounterFamilyEndingInTotal()
    {
        var counter = _meter.CreateCounter<long>("orbitmesh.jobs.finished", "{job}", "Jobs that finished.");
        counter.Add(2, Completed);
        counter.Add(3, Completed);
        counter.Add(1, Failed);
        counter.Add(7);

        var text = Text();
        var family = PrometheusTextParser.Parse(text)["orbitmesh_jobs_finished_total"];

        Assert.StartsWith("# HELP orbitmesh_jobs_finished_total Jobs that finished.\n# TYPE orbitmesh_jobs_finished_total counter\n", text, StringComparison.Ordinal);
        Assert.Equal("counter", family.Type);
        Assert.Equal("Jobs that finished.", family.Help);
        Assert.Equal(3, family.Samples.Count);
        Assert.Equal(5, Value(family, ("status", "completed")));
        Assert.Equal(1, Value(family, ("status", "failed")));
        Assert.Equal(7, Value(family));
    }

    [Fact]
    public void Counter_OfDoubles_KeepsEveryDigit_AndIgnoresNegativeAndNaNIncrements()
    {
        var counter = _meter.CreateCounter<double>("work.done");
        counter.Add(0.1);
        counter.Add(0.2);
        counter.Add(-5);
        counter.Add(double.NaN);

        Assert.Contains("\nwork_done_total 0.30000000000000004\n", Text(), StringComparison.Ordinal);
        Assert.Equal(0.1 + 0.2, Scrape()["work_done_total"].Samples.Single().Value);
    }

    [Fact]
    public void UpDownCounter_IsAGaugeOfTheSum_WithAndWithoutTags()
    {
        var upDown = _meter.CreateUpDownCounter<int>("queue.depth", "{job}", "Jobs waiting.");
        upDown.Add(5);
        upDown.Add(-7);
        upDown.Add(4, new KeyValuePair<string, object?>("queue", "high"));
        upDown.Add(-1, new KeyValuePair<string, object?>("queue", "high"));

        var family = Scrape()["queue_depth"];

        Assert.Equal("gauge", family.Type);
        Assert.Equal(-2, Value(family));
        Assert.Equal(3, Value(family, ("queue", "high")));
    }

    [Fact]
    public void Gauge_KeepsTheLastValuePerTagSet_AcrossScrapes()
    {
        var gauge = _meter.CreateGauge<double>("temperature", "Cel");
        gauge.Record(21.5);
        gauge.Record(19);
        gauge.Record(40, new KeyValuePair<string, object?>("room", "server"));

        var first = Scrape()["temperature_celsius"];
        var second = Scrape()["temperature_celsius"];

        Assert.Equal("gauge", first.Type);
        Assert.Equal(19, Value(first));
        Assert.Equal(40, Value(first, ("room", "server")));
        Assert.Equal(first.Samples.Select(s => s.Series + s.Value), second.Samples.Select(s => s.Series + s.Value));
    }

    [Fact]
    public void ObservableInstruments_AreObservedOnEachScrape_AndASeriesNoLongerReportedDisappears()
    {
        var connected = 10;
        var rooms = new List<Measurement<double>> { new(0.5, new KeyValuePair<string, object?>("room", "a")), new(0.25, new KeyValuePair<string, object?>("room", "b")) };
        _meter.CreateObservableUpDownCounter("agents.connected", () => connected, "{agent}", "Agents online.");
        _meter.CreateObservableCounter("bytes.sent", () => new Measurement<long>(1234, new KeyValuePair<string, object?>("dir", "out")), "By");
        _meter.CreateObservableGauge("room.load", () => rooms, "1");

        var first = Scrape();
        connected = 11;
        rooms.RemoveAt(1);
        var second = Scrape();

        Assert.Equal("gauge", first["agents_connected"].Type);
        Assert.Equal("Agents online.", first["agents_connected"].Help);
        Assert.Equal(10, Value(first["agents_connected"]));
        Assert.Equal(11, Value(second["agents_connected"]));
        Assert.Equal("counter", second["bytes_sent_bytes_total"].Type);
        Assert.Equal(1234, Value(second["bytes_sent_bytes_total"], ("dir", "out")));
        Assert.Equal("gauge", first["room_load_ratio"].Type);
        Assert.Equal(0.25, Value(first["room_load_ratio"], ("room", "b")));
        Assert.Equal(0.5, Value(second["room_load_ratio"], ("room", "a")));
        Assert.Single(second["room_load_ratio"].Samples);
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
        Assert.Equal(
            ["orbitmesh_job_duration_seconds_bucket{le=\"0.01\"}", "orbitmesh_job_duration_seconds_bucket{le=\"0.1\"}", "orbitmesh_job_duration_seconds_bucket{le=\"1\"}",
             "orbitmesh_job_duration_seconds_bucket{le=\"+Inf\"}", "orbitmesh_job_duration_seconds_sum{}", "orbitmesh_job_duration_seconds_count{}"],
            family.Samples.Select(s => s.Series));
        Assert.Equal([2, 3, 4, 5], family.Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal)).Select(s => s.Value));
        Assert.Equal(5.565, family.Samples.Single(s => s.Name.EndsWith("_sum", StringComparison.Ordinal)).Value, 9);
        Assert.Equal(5, family.Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void Histogram_WithoutAdvice_UsesDefaultBuckets_PerTagSet()
    {
        var bytes = _meter.CreateHistogram<long>("payload.size", "By");
        bytes.Record(3, new KeyValuePair<string, object?>("kind", "a"));
        bytes.Record(30_000, new KeyValuePair<string, object?>("kind", "b"));
        var seconds = _meter.CreateHistogram<double>("step.time", "s");
        seconds.Record(0.2);

        var scrape = Scrape();
        var family = scrape["payload_size_bytes"];

        Assert.Equal(["0", "5", "10", "25", "50", "75", "100", "250", "500", "750", "1000", "2500", "5000", "7500", "10000", "+Inf"],
            family.Samples.Where(s => s.Name == "payload_size_bytes_bucket" && s.Label("kind") == "a").Select(s => s.Label("le")));
        Assert.Equal(2, family.Samples.Count(s => s.Name == "payload_size_bytes_count"));
        Assert.Equal(1, Value(family, ("kind", "a"), ("le", "5")));
        Assert.Equal(0, Value(family, ("kind", "b"), ("le", "10000")));
        Assert.Equal(1, Value(family, ("kind", "b"), ("le", "+Inf")));
        Assert.Equal(["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"],
            scrape["step_time_seconds"].Samples.Where(s => s.Name == "step_time_seconds_bucket").Select(s => s.Label("le")));
    }

    [Fact]
    public void Histogram_WithEmptyAdvice_HasOnlyTheInfBucket_AndABoundIsInclusive()
    {
        var plain = _meter.CreateHistogram("plain", unit: null, description: null, tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = [] });
        plain.Record(1);
        plain.Record(2);
        var bounded = _meter.CreateHistogram("bounded", unit: null, description: null, tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2] });
        bounded.Record(1);
        bounded.Record(2);
        bounded.Record(3);

        var scrape = Scrape();

        Assert.Equal(["plain_bucket{le=\"+Inf\"}", "plain_sum{}", "plain_count{}"], scrape["plain"].Samples.Select(s => s.Series));
        Assert.Equal(3, scrape["plain"].Samples.Single(s => s.Name == "plain_sum").Value);
        Assert.Equal([1, 2, 3], scrape["bounded"].Samples.Where(s => s.Name == "bounded_bucket").Select(s => s.Value));
    }

    [Fact]
    public void Histogram_ATagNamedLe_DoesNotClashWithTheBucketLabel()
    {
        var histogram = _meter.CreateHistogram<double>("sized");
        histogram.Record(1, new KeyValuePair<string, object?>("le", "tag"));

        var family = Scrape()["sized"];

        Assert.All(family.Samples, s => Assert.Equal("tag", s.Label("_le")));
        Assert.Equal(1, family.Samples.Single(s => s.Name == "sized_count").Value);
    }

    [Fact]
    public void InstrumentsWithoutMeasurements_AreNotWritten()
    {
        _meter.CreateCounter<long>("never.used");
        _meter.CreateHistogram<double>("never.recorded");

        Assert.Equal(string.Empty, Text());
    }

    // ---- tag sets -----------------------------------------------------------------------------

    [Fact]
    public void TagSets_AreOrderInsensitive_OneSeriesEach()
    {
        var counter = _meter.CreateCounter<long>("calls");
        var a = new KeyValuePair<string, object?>("a", "1");
        var b = new KeyValuePair<string, object?>("b", 2);
        counter.Add(1, a, b);
        counter.Add(10, b, a);
        counter.Add(100, a, new KeyValuePair<string, object?>("b", "2")); // prints as the same label value
        counter.Add(1000, a);

        var family = Scrape()["calls_total"];

        Assert.Equal(2, family.Samples.Count);
        Assert.Equal(111, Value(family, ("a", "1"), ("b", "2")));
        Assert.Equal(1000, Value(family, ("a", "1")));
    }

    [Fact]
    public void TagSets_PastTheLimit_ShareTheOverflowSeries()
    {
        var counter = _meter.CreateCounter<long>("requests");
        for (var i = 0; i < PrometheusMetricsCollector.MaxSeriesPerInstrument + 10; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("id", i));
        }

        counter.Add(5, new KeyValuePair<string, object?>("id", 0)); // an existing series still counts

        var family = Scrape()["requests_total"];

        Assert.Equal(PrometheusMetricsCollector.MaxSeriesPerInstrument + 1, family.Samples.Count);
        Assert.Equal(6, Value(family, ("id", "0")));
        Assert.Equal(10, Value(family, ("otel_metric_overflow", "true")));
    }

    // ---- concurrency and the hot path ---------------------------------------------------------

    [Fact]
    public async Task ConcurrentRecording_SumsExactly()
    {
        const int Threads = 4;
        const int PerThread = 20_000;
        var counter = _meter.CreateCounter<long>("hits");
        var fractions = _meter.CreateCounter<double>("fractions");
        var upDown = _meter.CreateUpDownCounter<long>("balance");
        var histogram = _meter.CreateHistogram<double>("latency", "s");
        using var start = new Barrier(Threads);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            var parity = new KeyValuePair<string, object?>("parity", t % 2);
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                counter.Add(1, parity);
                fractions.Add(0.5);
                upDown.Add(i % 2 == 0 ? 3 : -1);
                histogram.Record(i % 3 == 0 ? 0.001 : 2, parity);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        var scrape = Scrape();

        Assert.Equal(Threads * PerThread / 2, Value(scrape["hits_total"], ("parity", "0")));
        Assert.Equal(Threads * PerThread / 2, Value(scrape["hits_total"], ("parity", "1")));
        Assert.Equal(Threads * PerThread * 0.5, Value(scrape["fractions_total"]));
        Assert.Equal(Threads * PerThread, Value(scrape["balance"]));
        var latency = scrape["latency_seconds"];
        var small = Threads / 2 * ((PerThread + 2) / 3);
        Assert.Equal(Threads / 2 * PerThread, latency.Samples.Single(s => s.Name == "latency_seconds_count" && s.Label("parity") == "1").Value);
        Assert.Equal(small, latency.Samples.Single(s => s.Name == "latency_seconds_bucket" && s.Label("parity") == "0" && s.Label("le") == "0.001").Value);
        Assert.Equal((small * 0.001) + (((Threads / 2 * PerThread) - small) * 2), latency.Samples.Single(s => s.Name == "latency_seconds_sum" && s.Label("parity") == "0").Value, tolerance: 1e-6);
    }

    [Fact]
    public async Task Scrapes_WhileMeasurementsArrive_AreAlwaysValid()
    {
        var histogram = _meter.CreateHistogram<double>("busy", "ms");
        var counter = _meter.CreateCounter<long>("busy.events");
        using var stop = new CancellationTokenSource();
        var recorders = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() =>
        {
            var tag = new KeyValuePair<string, object?>("worker", t);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                histogram.Record(i % 20_000, tag);
                counter.Add(1, tag);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        try
        {
            double previous = 0;
            for (var scrape = 0; scrape < 50; scrape++)
            {
                var families = Scrape(); // the parser checks buckets against _count on every scrape
                if (families.TryGetValue("busy_events_total", out var events))
                {
                    var total = events.Samples.Sum(s => s.Value);
                    Assert.True(total >= previous, "A counter went backwards between scrapes.");
                    previous = total;
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(recorders);
        }
    }

    [Fact]
    public void Recording_IntoAnExistingSeries_AllocatesNothing()
    {
        var counter = _meter.CreateCounter<long>("quiet");
        var histogram = _meter.CreateHistogram<double>("quiet.latency");
        var status = new KeyValuePair<string, object?>("status", "ok");
        var agent = new KeyValuePair<string, object?>("agent", "a-1");
        for (var i = 0; i < 1_000; i++)
        {
            counter.Add(1, status, agent);
            histogram.Record(i, status, agent);
            counter.Add(1);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            counter.Add(1, status, agent);
            histogram.Record(i, status, agent);
            counter.Add(1);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(11_000, Value(Scrape()["quiet_total"], ("agent", "a-1"), ("status", "ok")));
    }

    // ---- names, escaping, values --------------------------------------------------------------

    [Theory]
    [InlineData("orbitmesh.jobs.finished", "{job}", "counter", "orbitmesh_jobs_finished_total")]
    [InlineData("orbitmesh.job.duration", "s", "histogram", "orbitmesh_job_duration_seconds")]
    [InlineData("http.server.request.duration", "ms", "histogram", "http_server_request_duration_milliseconds")]
    [InlineData("request_duration_seconds", "s", "histogram", "request_duration_seconds")]
    [InlineData("memory.used", "By", "gauge", "memory_used_bytes")]
    [InlineData("bytes.sent", "By", "counter", "bytes_sent_bytes_total")]
    [InlineData("sent_bytes_total", "By", "counter", "sent_bytes_total")]
    [InlineData("requests_total", "{request}", "counter", "requests_total")]
    [InlineData("data.written_total", "By", "counter", "data_written_bytes_total")]
    [InlineData("cpu.utilization", "1", "gauge", "cpu_utilization_ratio")]
    [InlineData("cpu.utilization_ratio", "1", "gauge", "cpu_utilization_ratio")]
    [InlineData("retries", "1", "counter", "retries_total")]
    [InlineData("throughput", "By/s", "gauge", "throughput_bytes_per_second")]
    [InlineData("rate", "{request}/s", "gauge", "rate_per_second")]
    [InlineData("disk.free", "%", "gauge", "disk_free_percent")]
    [InlineData("packets.dropped", "packets", "counter", "packets_dropped_packets_total")]
    [InlineData("my-weird..metric//name", "", "gauge", "my_weird_metric_name")]
    [InlineData("9lives", null, "gauge", "_9lives")]
    [InlineData("ns:metric", null, "gauge", "ns:metric")]
    [InlineData("agents", "{agent}", "gauge", "agents")]
    public void MetricName_FollowsOpenTelemetrysPrometheusConventions(string instrument, string? unit, string kind, string expected)
    {
        var type = kind switch
        {
            "counter" => PrometheusMetricsCollector.MetricType.Counter,
            "gauge" => PrometheusMetricsCollector.MetricType.Gauge,
            _ => PrometheusMetricsCollector.MetricType.Histogram,
        };

        Assert.Equal(expected, PrometheusMetricsCollector.MetricName(instrument, unit, type));
    }

    [Fact]
    public void NamesLabelsAndHelp_AreSanitizedAndEscaped()
    {
        var counter = _meter.CreateCounter<double>("my-weird.metric/name", "ms", "Line one\nback\\slash \"quoted\"\r\nend");
        counter.Add(1.5,
            new KeyValuePair<string, object?>("path.with-dash", "a \"quoted\"\nvalue\\"),
            new KeyValuePair<string, object?>("9lives", 9),
            new KeyValuePair<string, object?>("__reserved", true),
            new KeyValuePair<string, object?>("a.b", "first"),
            new KeyValuePair<string, object?>("a_b", "second"),
            new KeyValuePair<string, object?>("none", null));

        var text = Text();
        var family = PrometheusTextParser.Parse(text)["my_weird_metric_name_milliseconds_total"];

        Assert.Contains("# HELP my_weird_metric_name_milliseconds_total Line one\\nback\\\\slash \"quoted\"\\nend\n", text, StringComparison.Ordinal);
        Assert.Contains("path_with_dash=\"a \\\"quoted\\\"\\nvalue\\\\\"", text, StringComparison.Ordinal);
        Assert.Equal("Line one\nback\\slash \"quoted\"\nend", family.Help);
        var sample = family.Samples.Single();
        Assert.Equal("a \"quoted\"\nvalue\\", sample.Label("path_with_dash"));
        Assert.Equal("9", sample.Label("_9lives"));
        Assert.Equal("true", sample.Label("_reserved"));
        Assert.Equal("first;second", sample.Label("a_b")); // ordered by the original keys: "a.b" < "a_b"
        Assert.Equal(string.Empty, sample.Label("none"));
        Assert.Equal(1.5, sample.Value);
    }

    [Fact]
    public void Values_AreInvariant_RoundTrip_AndSpellInfinityAndNaNAsPrometheusDoes()
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberDecimalSeparator = ",";
        culture.NumberFormat.NegativeSign = "~";
        var gauge = _meter.CreateGauge<double>("reading");
        double[] values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.1, -2.5, 1e-300, double.MaxValue, 123456.789];
        for (var i = 0; i < values.Length; i++)
        {
            gauge.Record(values[i], new KeyValuePair<string, object?>("i", i), new KeyValuePair<string, object?>("x", -0.5));
        }

        _meter.CreateCounter<long>("big").Add((1L << 53) + 1); // past double precision: written exactly

        var saved = CultureInfo.CurrentCulture;
        string text;
        try
        {
            CultureInfo.CurrentCulture = culture;
            text = Text();
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        var family = PrometheusTextParser.Parse(text)["reading"];
        Assert.Contains("reading{i=\"0\",x=\"-0.5\"} NaN\n", text, StringComparison.Ordinal);
        Assert.Contains("reading{i=\"1\",x=\"-0.5\"} +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("reading{i=\"2\",x=\"-0.5\"} -Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("\nbig_total 9007199254740993\n", text, StringComparison.Ordinal);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], Value(family, ("i", i.ToString(CultureInfo.InvariantCulture)), ("x", "-0.5")));
        }
    }

    // ---- which instruments, and their lifetime -----------------------------------------------

    [Fact]
    public void OnlyInstrumentsTheFilterIncludes_AreReported()
    {
        using var otherScope = new Meter(new MeterOptions("OrbitMesh") { Scope = new object() });
        using var otherName = new Meter(new MeterOptions("Elsewhere") { Scope = _scope });
        using var unscoped = new Meter("OrbitMesh");
        otherScope.CreateCounter<long>("foreign.scope").Add(1);
        otherName.CreateCounter<long>("foreign.name").Add(1);
        unscoped.CreateCounter<long>("foreign.unscoped").Add(1);
        _meter.CreateCounter<long>("own").Add(1);

        Assert.Equal(["own_total"], Scrape().Keys);
    }

    [Fact]
    public void Instruments_PublishedBeforeOrAfterTheCollectorStarted_AreReported()
    {
        var scope = new object();
        using var meter = new Meter(new MeterOptions("OrbitMesh") { Scope = scope });
        var early = meter.CreateCounter<long>("early");
        using var collector = new PrometheusMetricsCollector(i => ReferenceEquals(i.Meter.Scope, scope));
        var late = meter.CreateCounter<long>("late");
        early.Add(1);
        late.Add(2);

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        collector.Write(writer);
        var families = PrometheusTextParser.Parse(writer.ToString());

        Assert.Equal(1, Value(families["early_total"]));
        Assert.Equal(2, Value(families["late_total"]));
    }

    [Fact]
    public void InstrumentsOfADisposedMeter_AreNoLongerReported()
    {
        var shortLived = new Meter(new MeterOptions("OrbitMesh") { Scope = _scope });
        var counter = shortLived.CreateCounter<long>("gone.counter");
        counter.Add(1);
        shortLived.CreateObservableGauge("gone.gauge", () => 1);
        _meter.CreateCounter<long>("kept").Add(1);
        Assert.Equal(["gone_counter_total", "gone_gauge", "kept_total"], Scrape().Keys.Order(StringComparer.Ordinal));

        shortLived.Dispose();
        counter.Add(1); // not listened to any more

        Assert.Equal(["kept_total"], Scrape().Keys);
    }

    [Fact]
    public void ADisposedCollector_WritesNothing_AndStopsListening()
    {
        var counter = _meter.CreateCounter<long>("counted");
        counter.Add(1);

        _collector.Dispose();
        counter.Add(1);

        Assert.Equal(string.Empty, Text());
        Assert.False(counter.Enabled);
    }

    [Fact]
    public void AThrowingObservable_IsLeftOutOfThatScrape_WithoutItsPartialMeasurements()
    {
        var failing = true;
        _meter.CreateObservableGauge<int>("broken.gauge", (Func<int>)(() => throw new InvalidOperationException("boom")));
        _meter.CreateObservableGauge("partial.gauge", () => Partial(failing));
        _meter.CreateObservableGauge("fine.gauge", () => 1);
        _meter.CreateCounter<long>("fine.counter").Add(3);

        var broken = Scrape();
        failing = false;
        var recovered = Scrape();

        Assert.Equal(["fine_counter_total", "fine_gauge"], broken.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, Value(broken["fine_gauge"]));
        Assert.Equal(2, recovered["partial_gauge"].Samples.Count);

        static IEnumerable<Measurement<int>> Partial(bool fail)
        {
            yield return new Measurement<int>(1, new KeyValuePair<string, object?>("part", "first"));
            if (fail)
            {
                throw new InvalidOperationException("halfway");
            }

            yield return new Measurement<int>(2, new KeyValuePair<string, object?>("part", "second"));
        }
    }

    // ---- several instruments, one name --------------------------------------------------------

    [Fact]
    public void InstrumentsOfOneTypeAndName_AreMergedIntoOneFamily_TheFirstWinningASharedSeries()
    {
        var first = _meter.CreateCounter<long>("jobs", unit: null, description: "First.");
        var second = _meter.CreateCounter<double>("jobs", unit: null, description: "Second.");
        first.Add(1, Completed);
        second.Add(10, Completed);
        second.Add(20, Failed);

        var text = Text();
        var family = PrometheusTextParser.Parse(text)["jobs_total"];

        Assert.Equal("First.", family.Help);
        Assert.Equal(1, Value(family, ("status", "completed")));
        Assert.Equal(20, Value(family, ("status", "failed")));
        Assert.Single(text.Split('\n'), l => l.StartsWith("# TYPE", StringComparison.Ordinal));
    }

    [Fact]
    public void InstrumentsWhoseNamesClash_WithAnotherType_AreLeftOut_TheFirstPublishedKept()
    {
        _meter.CreateCounter<long>("clash").Add(1);                       // clash_total, counter
        _meter.CreateUpDownCounter<long>("clash_total").Add(5);           // clash_total, gauge: left out
        _meter.CreateHistogram<double>("wait").Record(1);                 // wait, wait_bucket, wait_sum, wait_count
        _meter.CreateObservableGauge("wait_count", () => 7);             // inside the histogram's names: left out
        _meter.CreateGauge<long>("shadow_sum").Record(2);                 // shadow_sum, gauge
        _meter.CreateHistogram<double>("shadow").Record(1);              // its _sum would repeat the gauge: left out

        var scrape = Scrape();

        Assert.Equal(["clash_total", "shadow_sum", "wait"], scrape.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("counter", scrape["clash_total"].Type);
        Assert.Equal(1, Value(scrape["clash_total"]));
        Assert.Equal("histogram", scrape["wait"].Type);
        Assert.Equal("gauge", scrape["shadow_sum"].Type);
    }

    // ---- on a real server ---------------------------------------------------------------------

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
            return families.ContainsKey("orbitmesh_jobs_finished_total");
        }, "the finished job to be counted");

        Assert.Equal(1, families["orbitmesh_agents_connected"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_jobs_finished_total"].Samples.Single(s => s.Label("status") == "completed").Value);
        Assert.Equal(1, families["orbitmesh_job_dispatch_latency_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
        Assert.Equal(1, families["orbitmesh_job_duration_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal) && s.Label("status") == "completed").Value);
        Assert.Equal(0, families["orbitmesh_dispatch_queue_depth"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_handshakes_admitted_total"].Samples.Single().Value);
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
            return families.ContainsKey("orbitmesh_jobs_finished_total") && families.ContainsKey("orbitmesh_agent_reconnects_total");
        }, "the counters to move");
        Assert.Equal(1, families["orbitmesh_job_nacks_total"].Samples.Single(s => s.Label("code") == MeshErrorCodes.Busy).Value);
        Assert.Equal(1, families["orbitmesh_job_ack_timeouts_total"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_job_lease_expiries_total"].Samples.Single().Value);
        Assert.Equal(1, families["orbitmesh_agent_reconnects_total"].Samples.Single().Value);
        Assert.Equal(2, families["orbitmesh_job_dispatch_latency_seconds"].Samples.Single(s => s.Name.EndsWith("_count", StringComparison.Ordinal)).Value);
    }
}
