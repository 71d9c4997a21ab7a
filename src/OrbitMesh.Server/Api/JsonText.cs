using System.Text;
using System.Text.Json;

namespace OrbitMesh.Server.Api;

/// <summary>
/// Finds JSON strings that are not valid Unicode. System.Text.Json keeps a <see cref="JsonElement"/>'s
/// text as it came, so invalid UTF-8 or an escaped lone surrogate (<c>"\ud800"</c>) inside job
/// parameters would pass deserialization and fail only when the server writes the parameters to an
/// agent, which closes that agent's connection. Checking every string up front keeps such text out.
/// </summary>
internal static class JsonText
{
    /// <summary>The path (from <paramref name="root"/>) of the first string in <paramref name="element"/> that is not valid Unicode; null when all are.</summary>
    public static string? FindInvalidText(JsonElement element, string root)
    {
        if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
        {
            return null;
        }

        return FindInvalidText(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) is { } path ? root + path[1..] : null;
    }

    /// <summary>The JSON path of the first string or property name that is not valid Unicode; null when all are (or the JSON is malformed, which the deserializer reports).</summary>
    public static string? FindInvalidText(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = OrbitMeshJson.Options.ReadCommentHandling,
            AllowTrailingCommas = OrbitMeshJson.Options.AllowTrailingCommas,
            MaxDepth = OrbitMeshJson.Options.MaxDepth == 0 ? 64 : OrbitMeshJson.Options.MaxDepth,
        });
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        CountArrayItem(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        if (!IsValid(ref reader, out var name))
                        {
                            return Path(frames) + " (a property name)";
                        }

                        frames[^1].Property = name;
                        break;
                    case JsonTokenType.String:
                        CountArrayItem(frames);
                        if (!IsValid(ref reader, out _))
                        {
                            return Path(frames);
                        }

                        break;
                    default:
                        CountArrayItem(frames);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static bool IsValid(ref Utf8JsonReader reader, out string? text)
    {
        try
        {
            // Unescapes and transcodes; throws for invalid UTF-8 and for unpaired surrogate escapes.
            text = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    private static void CountArrayItem(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    private static string Path(List<Frame> frames)
    {
        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(frame.Index).Append(']');
            }
            else if (frame.Property is { } property)
            {
                path.Append('.').Append(property);
            }
        }

        return path.ToString();
    }

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        public int Index { get; set; } = -1;

        public string? Property { get; set; }
    }
}
