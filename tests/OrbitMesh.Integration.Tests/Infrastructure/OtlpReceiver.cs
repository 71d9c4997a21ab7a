using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Integration.Tests.Infrastructure;

/// <summary>One span as exported over OTLP, with the service that exported it.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind);

/// <summary>
/// A minimal OpenTelemetry collector for tests: accepts OTLP/HTTP protobuf exports on 127.0.0.1
/// (<c>/v1/traces</c>, <c>/v1/metrics</c>) and decodes the spans it receives. The decoder reads only
/// the fields the tests look at, from the OTLP protobuf schema (opentelemetry-proto trace/v1).
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    /// <summary>The raw metric export requests received.</summary>
    public IReadOnlyList<byte[]> MetricExports => [.. _metrics];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            var body = await ReadAsync(context);
            foreach (var span in DecodeTraces(body))
            {
                receiver._spans.Enqueue(span);
            }

            context.Response.ContentType = "application/x-protobuf";
        });
        app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            receiver._metrics.Enqueue(await ReadAsync(context));
            context.Response.ContentType = "application/x-protobuf";
        });
        await app.StartAsync();
        receiver.Url = new Uri(app.Urls.First());
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static async Task<byte[]> ReadAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }</summary>
    public static List<ReceivedSpan> DecodeTraces(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var (field, resourceSpans) in Fields(request.ToArray()))
        {
            if (field != 1)
            {
                continue;
            }

            // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
            var service = "";
            var scopeSpansList = new List<byte[]>();
            foreach (var (rsField, value) in Fields(resourceSpans))
            {
                if (rsField == 1)
                {
                    service = ServiceName(value);
                }
                else if (rsField == 2)
                {
                    scopeSpansList.Add(value);
                }
            }

            foreach (var scopeSpans in scopeSpansList)
            {
                // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
                foreach (var (ssField, span) in Fields(scopeSpans))
                {
                    if (ssField == 2)
                    {
                        spans.Add(DecodeSpan(service, span));
                    }
                }
            }
        }

        return spans;
    }

    /// <summary>Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6; ... }</summary>
    private static ReceivedSpan DecodeSpan(string service, byte[] span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var reader = new ProtoReader(span);
        while (reader.Next(out var field, out var wireType))
        {
            switch (field, wireType)
            {
                case (1, 2): traceId = Convert.ToHexStringLower(reader.Bytes()); break;
                case (2, 2): spanId = Convert.ToHexStringLower(reader.Bytes()); break;
                case (4, 2): parent = Convert.ToHexStringLower(reader.Bytes()); break;
                case (5, 2): name = System.Text.Encoding.UTF8.GetString(reader.Bytes()); break;
                case (6, 0): kind = (int)reader.Varint(); break;
                default: reader.Skip(wireType); break;
            }
        }

        return new ReceivedSpan(service, traceId, spanId, parent, name, kind);
    }

    /// <summary>Resource { repeated KeyValue attributes = 1; } with KeyValue { string key = 1; AnyValue value = 2; } and AnyValue { string string_value = 1; ... }.</summary>
    private static string ServiceName(byte[] resource)
    {
        foreach (var (field, keyValue) in Fields(resource))
        {
            if (field != 1)
            {
                continue;
            }

            string? key = null, value = null;
            foreach (var (kvField, part) in Fields(keyValue))
            {
                if (kvField == 1)
                {
                    key = System.Text.Encoding.UTF8.GetString(part);
                }
                else if (kvField == 2)
                {
                    value = Fields(part).Where(f => f.Field == 1).Select(f => System.Text.Encoding.UTF8.GetString(f.Value)).FirstOrDefault();
                }
            }

            if (key == "service.name" && value is not null)
            {
                return value;
            }
        }

        return "";
    }

    /// <summary>The length-delimited fields of a message (others skipped).</summary>
    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var reader = new ProtoReader(message);
        while (reader.Next(out var field, out var wireType))
        {
            if (wireType == 2)
            {
                fields.Add((field, reader.Bytes()));
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return fields;
    }

    private sealed class ProtoReader(byte[] data)
    {
        private int _position;

        public bool Next(out int field, out int wireType)
        {
            if (_position >= data.Length)
            {
                field = wireType = 0;
                return false;
            }

            var tag = Varint();
            field = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (_position >= data.Length || shift > 63)
                {
                    throw new InvalidDataException("Truncated or malformed varint in the OTLP request.");
                }

                var b = data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }
        }

        public byte[] Bytes()
        {
            var length = checked((int)Varint());
            if (length < 0 || _position + length > data.Length)
            {
                throw new InvalidDataException("A length-delimited field runs past the end of the OTLP request.");
            }

            var bytes = data.AsSpan(_position, length).ToArray();
            _position += length;
            return bytes;
        }

        public void Skip(int wireType)
        {
            switch (wireType)
            {
                case 0: Varint(); break;
                case 1: _position += 8; break;
                case 2: Bytes(); break;
                case 5: _position += 4; break;
                default: throw new InvalidDataException($"Unsupported protobuf wire type {wireType}.");
            }
        }
    }
}
