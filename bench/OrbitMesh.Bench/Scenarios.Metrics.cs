using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OrbitMesh.Server.Diagnostics;

namespace OrbitMesh.Bench;

internal static partial class Scenarios
{
    /// <summary>
    /// The cost of one <c>/metrics</c> scrape: our writer (<see cref="PrometheusMetricsCollector"/>, served as
    /// <c>MapOrbitMesh</c> serves it) against the pre-release OpenTelemetry.Exporter.Prometheus.AspNetCore
    /// (its scrape cache off, so each scrape collects, as ours does), in one process, over HTTP on
    /// loopback, on the same instruments: the server's fourteen with realistic tags (about 120 series with
    /// the histogram buckets), then with one counter of 1,000 series more. Rounds alternate between the
    /// two so that neither gets the warmer machine; the ratio is exporter over ours (above 1: the exporter costs more).
    /// </summary>
    public static async Task<Dictionary<string, double>> MetricsScrapeAsync(BenchSettings settings)
    {
        var metrics = new Dictionary<string, double>();
        var name = "OrbitMesh.Bench." + Guid.NewGuid().ToString("N");
        var scope = new object();
        using var collector = new PrometheusMetricsCollector(i => ReferenceEquals(i.Meter.Scope, scope));
        using var meter = new Meter(new MeterOptions(name) { Scope = scope });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(name).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        await using var app = builder.Build();
        app.MapGet("/ours", () =>
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            collector.Write(text);
            return Results.Text(text.ToString(), PrometheusMetricsCollector.ContentType);
        });
        app.MapPrometheusScrapingEndpoint("/exporter");
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        RecordServerLikeMeasurements(meter);
        await CompareAsync(http, "server_like", metrics, settings);

        var wide = meter.CreateCounter<long>("orbitmesh.bench.wide", "{item}", "1,000 series.");
        for (var i = 0; i < 1000; i++)
        {
            wide.Add(i + 1, new KeyValuePair<string, object?>("agent", "agent-" + i.ToString("D4", CultureInfo.InvariantCulture)));
        }

        await CompareAsync(http, "wide", metrics, settings);
        await app.StopAsync();
        return metrics;
    }

    private static void RecordServerLikeMeasurements(Meter meter)
    {
        double[] buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
        var finished = meter.CreateCounter<long>("orbitmesh.jobs.finished", "{job}", "Jobs that reached a final status, by status.");
        var latency = meter.CreateHistogram("orbitmesh.job.dispatch.latency", "s", "From ready to acknowledged.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
        var duration = meter.CreateHistogram("orbitmesh.job.duration", "s", "From submission to final status.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
        var reconnects = meter.CreateCounter<long>("orbitmesh.agent.reconnects", "{registration}", "Reconnects.");
        var ackTimeouts = meter.CreateCounter<long>("orbitmesh.job.ack_timeouts", "{assignment}", "ACK timeouts.");
        var nacks = meter.CreateCounter<long>("orbitmesh.job.nacks", "{assignment}", "NACKs by code.");
        var leases = meter.CreateCounter<long>("orbitmesh.job.lease_expiries", "{attempt}", "Lease expiries.");
        meter.CreateObservableUpDownCounter("orbitmesh.agents.connected", () => 1000L, "{agent}", "Connected agents.");
        meter.CreateObservableCounter("orbitmesh.handshakes.admitted", () => 5000L, "{handshake}", "Admitted.");
        meter.CreateObservableCounter("orbitmesh.handshakes.rejected", () => 12L, "{handshake}", "Rejected.");
        meter.CreateObservableUpDownCounter("orbitmesh.handshakes.active", () => 3L, "{handshake}", "Active.");
        meter.CreateObservableUpDownCounter("orbitmesh.dispatch.queue.depth", () => 40L, "{job}", "Queue depth.");
        meter.CreateObservableUpDownCounter("orbitmesh.jobs.active", () => 64L, "{job}", "Active jobs.");
        var random = new Random(42);
        string[] statuses = ["completed", "failed", "cancelled", "dead_lettered"];
        string[] codes = ["busy", "unknown_command", "draining"];
        for (var i = 0; i < 10_000; i++)
        {
            var status = new KeyValuePair<string, object?>("status", statuses[i % statuses.Length]);
            finished.Add(1, status);
            duration.Record(random.NextDouble() * 20, status);
            latency.Record(random.NextDouble() * 0.1);
        }

        foreach (var code in codes)
        {
            nacks.Add(3, new KeyValuePair<string, object?>("code", code));
        }

        reconnects.Add(17);
        ackTimeouts.Add(2);
        leases.Add(1);
    }

    /// <summary>Alternating rounds of sequential scrapes of each endpoint; per-scrape time, allocation and size.</summary>
    private static async Task CompareAsync(HttpClient http, string prefix, Dictionary<string, double> metrics, BenchSettings settings)
    {
        const int Rounds = 6;
        var perRound = Math.Max(50, (int)(settings.Duration.TotalSeconds * 100));
        var totals = new Dictionary<string, (double Seconds, long Bytes, long Allocated, int Scrapes)>
        {
            ["ours"] = default,
            ["exporter"] = default,
        };
        foreach (var path in totals.Keys.ToList())
        {
            for (var i = 0; i < 50; i++)
            {
                await http.GetStringAsync("/" + path);
            }
        }

        for (var round = 0; round < Rounds; round++)
        {
            foreach (var path in round % 2 == 0 ? new[] { "ours", "exporter" } : ["exporter", "ours"])
            {
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var watch = Stopwatch.StartNew();
                long bytes = 0;
                for (var i = 0; i < perRound; i++)
                {
                    bytes += (await http.GetByteArrayAsync("/" + path)).Length;
                }

                watch.Stop();
                var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                var t = totals[path];
                totals[path] = (t.Seconds + watch.Elapsed.TotalSeconds, t.Bytes + bytes, t.Allocated + allocated, t.Scrapes + perRound);
            }
        }

        foreach (var (path, t) in totals)
        {
            metrics[$"{prefix}_{path}_us_per_scrape"] = t.Seconds * 1e6 / t.Scrapes;
            metrics[$"{prefix}_{path}_kb_allocated_per_scrape"] = t.Allocated / 1024.0 / t.Scrapes;
            metrics[$"{prefix}_{path}_bytes_per_scrape"] = (double)t.Bytes / t.Scrapes;
        }

        metrics[$"{prefix}_time_ratio_exporter_vs_ours"] = metrics[$"{prefix}_exporter_us_per_scrape"] / metrics[$"{prefix}_ours_us_per_scrape"];
        metrics[$"{prefix}_allocation_ratio_exporter_vs_ours"] = metrics[$"{prefix}_exporter_kb_allocated_per_scrape"] / metrics[$"{prefix}_ours_kb_allocated_per_scrape"];
    }
}
