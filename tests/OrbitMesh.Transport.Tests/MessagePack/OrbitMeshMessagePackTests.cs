using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;
using OrbitMesh.MessagePack;
using OrbitMesh.Protocol;

namespace OrbitMesh.Transport.Tests.MessagePack;

/// <summary>The MessagePack encoding of hub messages: the JSON encoding's keys and values, JSON payloads as raw bytes.</summary>
public sealed class OrbitMeshMessagePackTests
{
    private static readonly MessagePackSerializerOptions Options = OrbitMeshMessagePack.Options;

    [Fact]
    public void Serialize_Assignment_UsesTheJsonKeysAndValues()
    {
        var assignment = new JobAssignment
        {
            JobId = "job_a1",
            Attempt = 1,
            FencingToken = 42,
            Command = "js.count",
            Parameters = JsonDocument.Parse("""{"n":3}""").RootElement,
            Pattern = ExecutionPattern.Streaming,
            LeaseDurationMs = 30000,
            ExpiresAt = new DateTimeOffset(2026, 11, 22, 16, 15, 24, 505, TimeSpan.Zero),
        };

        var bytes = MessagePackSerializer.Serialize(assignment, Options);
        var asJson = JsonDocument.Parse(MessagePackSerializer.ConvertToJson(bytes)).RootElement;
        var json = JsonSerializer.SerializeToElement(assignment, OrbitMeshJson.Options);

        // The same keys as the JSON encoding, nulls left out in both.
        Assert.Equal(json.EnumerateObject().Select(p => p.Name), asJson.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Streaming", asJson.GetProperty("pattern").GetString());
        Assert.Equal(assignment.ExpiresAt, DateTimeOffset.Parse(asJson.GetProperty("expiresAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        // The parameters are the bin of their UTF-8 JSON text, not MessagePack values.
        var reader = new MessagePackReader(bytes);
        var count = reader.ReadMapHeader();
        byte[]? parameters = null;
        for (var i = 0; i < count; i++)
        {
            if (reader.ReadString() == "parameters")
            {
                Assert.Equal(MessagePackType.Binary, reader.NextMessagePackType);
                parameters = reader.ReadBytes()!.Value.ToArray();
            }
            else
            {
                reader.Skip();
            }
        }

        Assert.Equal("""{"n":3}""", Encoding.UTF8.GetString(parameters!));
        Assert.Equal(assignment with { Parameters = null }, MessagePackSerializer.Deserialize<JobAssignment>(bytes, Options) with { Parameters = null });
        Assert.Equal(3, MessagePackSerializer.Deserialize<JobAssignment>(bytes, Options).Parameters!.Value.GetProperty("n").GetInt32());
    }

    [Fact]
    public void Deserialize_AbsentOrNilMembers_KeepTheirDefaults()
    {
        // What a JavaScript agent sends: a map with some keys, undefined ones as nil.
        var bytes = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.Write("id");
            w.Write("js-1");
            w.Write("groups");
            w.WriteNil();
            w.Write("unknownKey");
            w.Write(7);
        });

        var registration = MessagePackSerializer.Deserialize<AgentRegistration>(bytes, Options);

        Assert.Equal("js-1", registration.Id);
        Assert.Equal(1, registration.MaxConcurrentJobs);
        Assert.Empty(registration.Groups);
        Assert.Equal(ProtocolLimits.ProtocolVersion, registration.ProtocolVersion);
    }

    [Fact]
    public void Deserialize_PositionalRecordWithKeysInAnyCase()
    {
        var bytes = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(3);
            w.Write("FENCINGTOKEN");
            w.Write(9);
            w.Write("jobId");
            w.Write("j");
            w.Write("attempt");
            w.Write(2);
        });

        Assert.Equal(new JobAck("j", 2, 9), MessagePackSerializer.Deserialize<JobAck>(bytes, Options));
    }

    [Fact]
    public void Deserialize_MissingRequiredMember_OrJsonThatIsNotJson_Fails()
    {
        var missing = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("attempt");
            w.Write(1);
        });
        var ex = Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Deserialize<JobCompletion>(missing, Options));
        Assert.Contains("'jobId' is required", ex.ToString(), StringComparison.Ordinal);

        var notJson = Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("patch");
            w.Write(Encoding.UTF8.GetBytes("{\"a\":"));
        });
        Assert.Throws<MessagePackSerializationException>(() => MessagePackSerializer.Deserialize<TwinReport>(notJson, Options));
    }

    [Fact]
    public void RoundTrip_ItemsEnumsBytesAndErrors()
    {
        var items = new JobItems("j", 4, 10, [JsonDocument.Parse("1").RootElement, JsonDocument.Parse("\"ü\"").RootElement]);
        var back = MessagePackSerializer.Deserialize<JobItems>(MessagePackSerializer.Serialize(items, Options), Options);
        Assert.Equal(["1", "\"ü\""], back.Items.Select(i => i.GetRawText()));

        var status = new AgentStatusReport(AgentStatus.Stopping, "draining");
        Assert.Equal(status, MessagePackSerializer.Deserialize<AgentStatusReport>(MessagePackSerializer.Serialize(status, Options), Options));

        var raw = new RawMessage([0, 1, 2, 3]);
        Assert.Equal(raw.Payload, MessagePackSerializer.Deserialize<RawMessage>(MessagePackSerializer.Serialize(raw, Options), Options).Payload);

        var failed = InvokeResult.Fail(new JobError("unknown_command", "No handler."));
        Assert.Equal(failed, MessagePackSerializer.Deserialize<InvokeResult>(MessagePackSerializer.Serialize(failed, Options), Options));
    }

    private delegate void Writing(ref MessagePackWriter writer);

    private static byte[] Write(Writing write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
