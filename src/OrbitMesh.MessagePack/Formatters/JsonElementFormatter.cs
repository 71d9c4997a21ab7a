using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>
/// A JSON document (job parameters, results, items, twin documents) as MessagePack <c>bin</c>: its raw UTF-8 JSON
/// bytes, copied as they are, so a payload is never turned into MessagePack values and back. <c>nil</c> is no value.
/// A <c>str</c> holding JSON text is read too.
/// </summary>
internal sealed class JsonElementFormatter : IMessagePackFormatter<JsonElement>
{
    public static readonly JsonElementFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNil();
            return;
        }

        writer.Write(JsonMarshal.GetRawUtf8Value(value));
    }

    public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return default;
        }

        var bytes = reader.NextMessagePackType switch
        {
            MessagePackType.Binary => reader.ReadBytes(),
            MessagePackType.String => reader.ReadStringSequence(),
            var other => throw new MessagePackSerializationException($"A JSON value travels as bin (its UTF-8 JSON bytes) or nil, not as {other}."),
        };
        return Parse(bytes!.Value);
    }

    internal static JsonElement Parse(ReadOnlySequence<byte> utf8Json)
    {
        try
        {
            var json = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
            var element = JsonElement.ParseValue(ref json);
            if (json.Read())
            {
                throw new JsonException("Only one JSON value may follow.");
            }

            return element;
        }
        catch (JsonException ex)
        {
            throw new MessagePackSerializationException($"The bin value is not one JSON value: {ex.Message}", ex);
        }
    }
}
