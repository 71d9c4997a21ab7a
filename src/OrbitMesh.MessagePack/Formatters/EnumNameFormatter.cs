using MessagePack;
using MessagePack.Formatters;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>An OrbitMesh enum as its .NET name (<c>"Ready"</c>, <c>"LongRunning"</c>), as in the JSON encoding; read case-insensitively, or as its number.</summary>
internal sealed class EnumNameFormatter<T> : IMessagePackFormatter<T>
    where T : struct, Enum
{
    public static readonly EnumNameFormatter<T> Instance = new();

    public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options) => writer.Write(value.ToString());

    public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.Integer)
        {
            return (T)Enum.ToObject(typeof(T), reader.ReadInt64());
        }

        var text = reader.ReadString();
        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && !char.IsAsciiDigit(text![0]) && text[0] != '-'
            ? value
            : throw new MessagePackSerializationException($"'{text}' is not a {typeof(T).Name}.");
    }
}
