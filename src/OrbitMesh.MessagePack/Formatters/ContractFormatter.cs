using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>
/// A contract of OrbitMesh.Core (a hub message) as a MessagePack map with the keys of its JSON encoding. Like the
/// JSON encoding, members without a value are left out; on reading, <c>nil</c> and an absent key both mean the
/// member's default, keys are matched case-insensitively and unknown keys are skipped.
/// </summary>
internal sealed class ContractFormatter<T> : IMessagePackFormatter<T?>
    where T : class
{
    public static readonly ContractFormatter<T> Instance = new();

    private static readonly ContractShape Shape = ContractShape.Of(typeof(T));

    public void Serialize(ref MessagePackWriter writer, T? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        var members = Shape.Members;
        var values = new object?[members.Length];
        var count = 0;
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[i].Property.GetValue(value);
            if (member is not (null or JsonElement { ValueKind: JsonValueKind.Undefined }))
            {
                values[i] = member;
                count++;
            }
        }

        writer.WriteMapHeader(count);
        for (var i = 0; i < members.Length; i++)
        {
            if (values[i] is { } member)
            {
                writer.Write(members[i].Name);
                MessagePackSerializer.Serialize(members[i].Type, ref writer, member, options);
            }
        }
    }

    public T? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            throw new MessagePackSerializationException($"A {typeof(T).Name} travels as a map, not as {reader.NextMessagePackType}.");
        }

        options.Security.DepthStep(ref reader);
        try
        {
            var members = Shape.Members;
            var values = new object?[members.Length];
            var present = new bool[members.Length];
            var count = reader.ReadMapHeader();
            for (var n = 0; n < count; n++)
            {
                var key = reader.ReadString();
                if (key is null || !Shape.TryFind(key, out var i))
                {
                    reader.Skip();
                }
                else if (!reader.TryReadNil())
                {
                    values[i] = MessagePackSerializer.Deserialize(members[i].Type, ref reader, options);
                    present[i] = true;
                }
            }

            return (T)Shape.Create(values, present);
        }
        finally
        {
            reader.Depth--;
        }
    }
}
