using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Workflows;

/// <summary>
/// Reads UTF-8 JSON into a <see cref="JsonNode"/> tree and records where every value starts, with the
/// format's leniencies (comments, trailing commas) and its refusals (duplicate keys, depth over
/// <see cref="WorkflowDocument.MaxDepth"/>).
/// </summary>
/// <remarks>
/// <see cref="Utf8JsonReader"/> gives byte offsets, not lines, so the offsets of line starts are
/// indexed once and each position is found by binary search.
/// </remarks>
internal static class JsonSourceReader
{
    public static JsonNode? Read(ReadOnlySpan<byte> utf8, SourceMap map)
    {
        var lines = LineStarts(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = WorkflowDocument.MaxDepth,
        });
        try
        {
            if (!reader.Read())
            {
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidJson, "The document is empty.", new SourcePosition(1, 1));
            }

            var root = ReadValue(ref reader, utf8, lines, map, string.Empty);
            if (reader.Read())
            {
                throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidJson, "Only one JSON value may be in a definition.", Position(utf8, lines, reader.TokenStartIndex));
            }

            return root;
        }
        catch (JsonException ex)
        {
            var position = ex.LineNumber is { } line ? new SourcePosition((int)line + 1, (int)(ex.BytePositionInLine ?? 0) + 1) : (SourcePosition?)null;
            throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidJson, "The document is not valid JSON: " + FirstSentence(ex.Message), position, ex);
        }
    }

    private static JsonNode? ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, int[] lines, SourceMap map, string pointer)
    {
        map.Add(pointer, Position(utf8, lines, reader.TokenStartIndex));
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var keyPosition = Position(utf8, lines, reader.TokenStartIndex);
                    var key = reader.GetString()!;
                    if (obj.ContainsKey(key))
                    {
                        throw new DocumentSyntaxException(WorkflowErrorCodes.InvalidJson, $"The key '{key}' appears twice in the same object.", keyPosition);
                    }

                    reader.Read();
                    obj[key] = ReadValue(ref reader, utf8, lines, map, SourceMap.Child(pointer, key));
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(ReadValue(ref reader, utf8, lines, map, SourceMap.Child(pointer, array.Count)));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var integer) ? JsonValue.Create(integer) : JsonValue.Create(reader.GetDouble());
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    private static int[] LineStarts(ReadOnlySpan<byte> utf8)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    private static SourcePosition Position(ReadOnlySpan<byte> utf8, int[] lines, long offset)
    {
        var index = Array.BinarySearch(lines, (int)offset);
        var line = index >= 0 ? index : ~index - 1;
        var column = Encoding.UTF8.GetCharCount(utf8[lines[line]..(int)offset]) + 1;
        return new SourcePosition(line + 1, column);
    }

    /// <summary>System.Text.Json's messages end with the path and position, which the error already carries.</summary>
    internal static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
