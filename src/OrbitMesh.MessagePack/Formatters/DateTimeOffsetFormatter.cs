using System.Globalization;
using MessagePack;
using MessagePack.Formatters;

namespace OrbitMesh.MessagePack.Formatters;

/// <summary>
/// A time as an ISO 8601 string with its offset, as in the JSON encoding. A MessagePack timestamp (extension −1,
/// what JavaScript's encoder makes of a <c>Date</c>) is read too, as UTC.
/// </summary>
internal sealed class DateTimeOffsetFormatter : IMessagePackFormatter<DateTimeOffset>
{
    public static readonly DateTimeOffsetFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, DateTimeOffset value, MessagePackSerializerOptions options) =>
        writer.Write(value.ToString("O", CultureInfo.InvariantCulture));

    public DateTimeOffset Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.NextMessagePackType == MessagePackType.Extension)
        {
            return new DateTimeOffset(reader.ReadDateTime(), TimeSpan.Zero);
        }

        var text = reader.ReadString() ?? throw new MessagePackSerializationException("A time must not be nil.");
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value)
            ? value
            : throw new MessagePackSerializationException($"'{text}' is not an ISO 8601 time.");
    }
}
