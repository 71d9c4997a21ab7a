using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OrbitMesh.Server.Diagnostics;

namespace OrbitMesh.Server.Tests.Diagnostics;

/// <summary>
/// Why <c>/metrics</c> keeps <see cref="PrometheusMetricsCollector"/> (docs/architecture.md, Telemetry):
/// the pre-release OpenTelemetry.Exporter.Prometheus.AspNetCore (1.20.1-beta.1), given what our
/// collector's tests give it, writes expositions the strict <see cref="PrometheusTextParser"/> refuses,
/// where ours passes. When one of these fails after an upgrade, the exporter fixed it: try it again
/// against PrometheusMetricsCollectorTests and <c>bench --scenario metrics-scrape</c>.
/// </summary>
public sealed class PrometheusExporterTrialTests
{
    [Fact]
    public async Task Exporter_HistogramWithATagNamedLe_RepeatsItsBucketSeries_OursRenamesTheTag()
    {
        var (exported, ours) = await ScrapeBothAsync(meter =>
        {
            var histogram = meter.CreateHistogram<double>("orbitmesh.job.duration", "s", "Duration.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
            histogram.Record(0.5, new KeyValuePair<string, object?>("le", "x"));
            histogram.Record(5);
        });

        var error = Assert.Throws<FormatException>(() => PrometheusTextParser.Parse(exported));
        Assert.Contains("appears twice", error.Message, StringComparison.Ordinal);
        Assert.Contains(PrometheusTextParser.Parse(ours)["orbitmesh_job_duration_seconds"].Samples, s => s.Label("_le") == "x");
    }

    [Fact]
    public async Task Exporter_CounterGivenANaNIncrement_ReportsNaN_OursIgnoresIt()
    {
        var (exported, ours) = await ScrapeBothAsync(meter =>
        {
            var counter = meter.CreateCounter<double>("orbitmesh.bytes", "By", "Bytes.");
            counter.Add(0.5);
            counter.Add(double.NaN);
        });

        var error = Assert.Throws<FormatException>(() => PrometheusTextParser.Parse(exported));
        Assert.Contains("counters are non-negative", error.Message, StringComparison.Ordinal);
        Assert.Equal(0.5, Assert.Single(PrometheusTextParser.Parse(ours)["orbitmesh_bytes_total"].Samples).Value);
    }

    [Fact]
    public async Task Exporter_LabelsEverySeriesWithItsScope_AndAddsTargetInfo_OursKeepsTheInstrumentsTags()
    {
        var (exported, ours) = await ScrapeBothAsync(meter => meter.CreateCounter<long>("orbitmesh.jobs.finished", "{job}").Add(2, new KeyValuePair<string, object?>("status", "completed")));

        var theirs = PrometheusTextParser.Parse(exported);
        Assert.Contains("target_info", theirs.Keys);
        Assert.Equal(["otel_scope_name", "status"], Assert.Single(theirs["orbitmesh_jobs_finished_total"].Samples).Labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["status"], Assert.Single(PrometheusTextParser.Parse(ours)["orbitmesh_jobs_finished_total"].Samples).Labels.Keys);
    }

    /// <summary>The same measurements, scraped from the exporter (its scrape cache off) and written by our collector.</summary>
    private static async Task<(string Exported, string Ours)> ScrapeBothAsync(Action<Meter> record)
    {
        var name = "OrbitMesh.Trial." + Guid.NewGuid().ToString("N");
        var scope = new object();
        using var collector = new PrometheusMetricsCollector(i => ReferenceEquals(i.Meter.Scope, scope));
        using var meter = new Meter(new MeterOptions(name) { Scope = scope });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(name).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        await using var app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        await app.StartAsync();

        record(meter);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var exported = await http.GetStringAsync("/metrics");
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        collector.Write(writer);
        return (exported, writer.ToString());
    }
}
