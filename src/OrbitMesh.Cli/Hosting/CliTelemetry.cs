using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrbitMesh.Diagnostics;

namespace OrbitMesh.Cli.Hosting;

/// <summary>
/// Traces (and, for the server, metrics) of the <c>OrbitMesh</c> source and meter. With
/// <c>--otlp-endpoint</c> they are exported over OTLP (HTTP/protobuf; <c>/v1/traces</c> and
/// <c>/v1/metrics</c> are appended to the base URL). Without it nothing is exported, but spans are
/// still created so that log entries carry trace ids that match across server and agent.
/// </summary>
internal sealed class CliTelemetry : IDisposable
{
    private readonly TracerProvider? _tracer;
    private readonly MeterProvider? _meter;
    private readonly ActivityListener? _listener;

    private CliTelemetry(TracerProvider? tracer, MeterProvider? meter, ActivityListener? listener)
    {
        _tracer = tracer;
        _meter = meter;
        _listener = listener;
    }

    /// <summary>Starts telemetry for a process named <paramref name="serviceName"/>.</summary>
    public static CliTelemetry Start(string serviceName, string? otlpEndpoint, bool metrics)
    {
        if (string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            // Nobody exports: create propagation-only spans, which cost little and give logs their trace ids.
            var listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == OrbitMeshDiagnostics.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            };
            ActivitySource.AddActivityListener(listener);
            return new CliTelemetry(null, null, listener);
        }

        if (!Uri.TryCreate(otlpEndpoint, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"--otlp-endpoint must be an http:// or https:// URL (the collector's OTLP/HTTP base, e.g. http://127.0.0.1:4318); it was '{otlpEndpoint}'.");
        }

        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceVersion: Server.ServerInfo.Version);
        var tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(OrbitMeshDiagnostics.Name)

            // ASP.NET Core's request spans: sampled here, so a job submitted over REST is a child of its
            // request (with the caller's traceparent, when it sent one) instead of an unsampled orphan.
            .AddSource("Microsoft.AspNetCore")
            .AddOtlpExporter(o =>
            {
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Endpoint = Signal(baseUri, "v1/traces");
                o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
            })
            .Build();
        var meter = metrics
            ? Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(OrbitMeshDiagnostics.Name)
                .AddOtlpExporter((o, reader) =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = Signal(baseUri, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 15_000;
                })
                .Build()
            : null;
        return new CliTelemetry(tracer, meter, null);
    }

    /// <summary>Flushes what is buffered and stops.</summary>
    public void Dispose()
    {
        _tracer?.Dispose();
        _meter?.Dispose();
        _listener?.Dispose();
    }

    private static Uri Signal(Uri baseUri, string path) =>
        new(baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/"), path);
}
