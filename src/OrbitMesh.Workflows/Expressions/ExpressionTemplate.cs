using System.Buffers;
using System.Text;
using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// <c>${{ expression }}</c> templates in a step's parameters. A string that is one template and
/// nothing else becomes the expression's value with its type (a number, an object); a string with
/// templates among other text gets each one's value as text. <c>$${{</c> writes a literal
/// <c>${{</c>. Only values are templated, never property names.
/// </summary>
public static class ExpressionTemplate
{
    private const string Open = "${{";
    private const string Close = "}}";

    /// <summary>Every template in <paramref name="parameters"/>, with the JSON Pointer of the string holding it.</summary>
    /// <exception cref="WorkflowExpressionException">A template is not closed.</exception>
    public static IReadOnlyList<(string Pointer, string Expression)> Find(JsonElement? parameters)
    {
        var found = new List<(string, string)>();
        if (parameters is { } root)
        {
            Walk(root, string.Empty, found);
        }

        return found;
    }

    /// <summary>The parameters with every template replaced by its value over <paramref name="scope"/>; the input itself when it has none.</summary>
    /// <exception cref="WorkflowExpressionException">A template fails or the result breaks a limit; the message names the parameter.</exception>
    public static JsonElement? Render(JsonElement? parameters, ExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (parameters is not { } root || Find(root).Count == 0)
        {
            return parameters;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, root, string.Empty, scope);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static void Walk(JsonElement element, string pointer, List<(string, string)> found)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, SourceMap.Child(pointer, property.Name), found);
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, SourceMap.Child(pointer, i++), found);
                }

                break;
            case JsonValueKind.String:
                foreach (var part in Split(element.GetString()!))
                {
                    if (part.IsExpression)
                    {
                        found.Add((pointer, part.Text));
                    }
                }

                break;
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element, string pointer, ExpressionScope scope)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value, SourceMap.Child(pointer, property.Name), scope);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item, SourceMap.Child(pointer, i++), scope);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                RenderString(element.GetString()!, pointer, scope).WriteTo(writer);
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    private static JsonElement RenderString(string text, string pointer, ExpressionScope scope)
    {
        var parts = Split(text);
        try
        {
            if (parts is [{ IsExpression: true } only])
            {
                return WorkflowExpression.Parse(only.Text).EvaluateToJson(scope);
            }

            var builder = new StringBuilder();
            foreach (var part in parts)
            {
                builder.Append(part.IsExpression ? ExpressionFunctions.Format(WorkflowExpression.Parse(part.Text).Evaluate(scope)) : part.Text);
                if (builder.Length > WorkflowExpressionLimits.MaxRenderedLength)
                {
                    throw new WorkflowExpressionException($"The template builds more than {WorkflowExpressionLimits.MaxRenderedLength:N0} characters.");
                }
            }

            return JsonSerializer.SerializeToElement(builder.ToString());
        }
        catch (WorkflowExpressionException ex)
        {
            throw new WorkflowExpressionException($"In parameters{WorkflowSchema.Readable(pointer) switch { "the definition" => string.Empty, var p => "." + p }}: {ex.Message}", ex);
        }
    }

    /// <summary>Splits a string into literal text and template expressions.</summary>
    internal static List<(bool IsExpression, string Text)> Split(string text)
    {
        var parts = new List<(bool, string)>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (string.CompareOrdinal(text, i, "$" + Open, 0, Open.Length + 1) == 0)
            {
                literal.Append(Open);
                i += Open.Length + 1;
                continue;
            }

            if (string.CompareOrdinal(text, i, Open, 0, Open.Length) != 0)
            {
                literal.Append(text[i++]);
                continue;
            }

            var end = CloseOf(text, i + Open.Length);
            if (end < 0)
            {
                throw new WorkflowExpressionException($"The template starting at character {i + 1} of {ExpressionNames.Quote(text)} has no closing '}}}}'.");
            }

            if (literal.Length > 0)
            {
                parts.Add((false, literal.ToString()));
                literal.Clear();
            }

            parts.Add((true, text[(i + Open.Length)..end].Trim()));
            i = end + Close.Length;
        }

        if (literal.Length > 0 || parts.Count == 0)
        {
            parts.Add((false, literal.ToString()));
        }

        return parts;
    }

    /// <summary>The index of the '}}' closing a template, skipping quoted strings inside it; -1 when there is none.</summary>
    private static int CloseOf(string text, int from)
    {
        char? quote = null;
        for (var i = from; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == q)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                return i;
            }
        }

        return -1;
    }
}
