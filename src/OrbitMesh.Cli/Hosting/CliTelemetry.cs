using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrbitMesh.Diagnostics;

namespace OrbitMesh.Cli.Hosting;

/// <summary>
/// Traces (and, for the server, metrics) of the <c>OrbitMesh</c> source and meter, wired with
/// OpenTelemetry.Extensions.Hosting (<c>AddOpenTelemetry().WithTracing/WithMetrics</c>). With
/// <c>--otlp-endpoint</c> they are exported over OTLP (HTTP/protobuf; <c>/v1/traces</c> and
/// <c>/v1/metrics</c> are appended to the base URL). Without it nothing is exported, but spans are
/// still created so that log entries carry trace ids that match across server and agent.
/// </summary>
internal sealed class CliTelemetry : IDisposable
{
    private readonly IDisposable? _owned;

    private CliTelemetry(IDisposable? owned) => _owned = owned;

    /// <summary>
    /// For a process without a host (the agent): with an endpoint, the providers live in a service
    /// provider of their own, started here and flushed by <see cref="Dispose"/>; without one, propagation-only spans.
    /// </summary>
    public static CliTelemetry Start(string serviceName, string? otlpEndpoint, bool metrics)
    {
        if (Endpoint(otlpEndpoint) is not { } endpoint)
        {
            return PropagationOnly();
        }

        var services = new ServiceCollection();
        Add(services, serviceName, endpoint, metrics);
        var provider = services.BuildServiceProvider();

        // Without a host to start them, resolving the providers builds and starts them.
        provider.GetRequiredService<TracerProvider>();
        if (metrics)
        {
            provider.GetRequiredService<MeterProvider>();
        }

        return new CliTelemetry(provider);
    }

    /// <summary>For the server: propagation-only spans when nothing exports; otherwise the host's providers do it all.</summary>
    public static CliTelemetry StartUnlessExported(string? otlpEndpoint) =>
        Endpoint(otlpEndpoint) is null ? PropagationOnly() : new CliTelemetry(null);

    /// <summary>Adds OTLP export to a host's services (the server: started and flushed with the host); nothing without an endpoint.</summary>
    public static void AddTo(IServiceCollection services, string serviceName, string? otlpEndpoint, bool metrics)
    {
        if (Endpoint(otlpEndpoint) is { } endpoint)
        {
            Add(services, serviceName, endpoint, metrics);
        }
    }

    /// <summary>Flushes what is buffered and stops.</summary>
    public void Dispose() => _owned?.Dispose();

    private static void Add(IServiceCollection services, string serviceName, Uri endpoint, bool metrics)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: Server.ServerInfo.Version))
            .WithTracing(tracing => tracing
                .AddSource(OrbitMeshDiagnostics.Name)

                // ASP.NET Core's request spans: sampled here, so a job submitted over REST is a child of its
                // request (with the caller's traceparent, when it sent one) instead of an unsampled orphan.
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(o =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = Signal(endpoint, "v1/traces");
                    o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
                }));
        if (metrics)
        {
            telemetry.WithMetrics(meters => meters
                .AddMeter(OrbitMeshDiagnostics.Name)
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter((o, reader) =>
                {
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                    o.Endpoint = Signal(endpoint, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 15_000;
                }));
        }
    }

    private static Uri? Endpoint(string? otlpEndpoint)
    {
        if (string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            return null;
        }

        if (!Uri.TryCreate(otlpEndpoint, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttp && baseUri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"--otlp-endpoint must be an http:// or https:// URL (the collector's OTLP/HTTP base, e.g. http://127.0.0.1:4318); it was '{otlpEndpoint}'.");
        }

        return baseUri;
    }

    // Nobody exports: create propagation-only spans, which cost little and give logs their trace ids.
    // A bare ActivityListener, not the SDK: there is nothing to process or export.
    private static CliTelemetry PropagationOnly()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OrbitMeshDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        return new CliTelemetry(listener);
    }

    private static Uri Signal(Uri baseUri, string path) =>
        new(baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/"), path);
}
