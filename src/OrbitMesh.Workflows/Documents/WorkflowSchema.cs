using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace OrbitMesh.Workflows;

/// <summary>
/// The published JSON Schema of definitions (<c>docs/workflow.schema.json</c>, embedded in this
/// assembly so the file users read is the one the server checks), evaluated with JsonSchema.Net.
/// Its findings are turned into <see cref="WorkflowErrorCodes.SchemaViolation"/> errors in words a
/// user can act on, each with the JSON Pointer of the offending value.
/// </summary>
public static class WorkflowSchema
{
    private const string ResourceName = "OrbitMesh.Workflows.workflow.schema.json";

    private static readonly Lazy<string> Text = new(LoadText);
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(Text.Value));

    /// <summary>The schema's text, as published in docs/workflow.schema.json.</summary>
    public static string SchemaText => Text.Value;

    /// <summary>Every way <paramref name="document"/> breaks the schema; empty when it conforms.</summary>
    public static IReadOnlyList<WorkflowValidationError> Check(JsonNode? document)
    {
        var element = JsonSerializer.SerializeToElement(document);
        var results = Schema.Value.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var errors = new List<WorkflowValidationError>();
        var seen = new HashSet<(string, string)>();
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } || detail.IsValid)
            {
                continue;
            }

            var pointer = detail.InstanceLocation.ToString();
            foreach (var (keyword, message) in detail.Errors)
            {
                var text = Describe(document, pointer, keyword, message, detail.EvaluationPath.ToString(), detail.SchemaLocation?.ToString() ?? string.Empty);
                if (seen.Add((pointer, text)))
                {
                    errors.Add(new WorkflowValidationError(WorkflowErrorCodes.SchemaViolation, text, StepIdAt(document, pointer)) { Path = pointer });
                }
            }
        }

        return errors;
    }

    /// <summary>A readable form of a JSON Pointer: <c>/steps/0/timeout</c> is <c>steps[0].timeout</c>.</summary>
    public static string Readable(string? jsonPointer)
    {
        if (string.IsNullOrEmpty(jsonPointer))
        {
            return "the definition";
        }

        var builder = new StringBuilder();
        foreach (var raw in jsonPointer.Split('/').Skip(1))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (token.Length > 0 && token.All(char.IsAsciiDigit))
            {
                builder.Append('[').Append(token).Append(']');
            }
            else
            {
                builder.Append(builder.Length == 0 ? string.Empty : ".").Append(token);
            }
        }

        return builder.ToString();
    }

    /// <summary>The id of the step a pointer is inside (<c>/steps/3/...</c>), when it has one.</summary>
    internal static string? StepIdAt(JsonNode? document, string pointer)
    {
        var parts = pointer.Split('/');
        if (parts.Length < 3 || parts[1] != "steps" || !int.TryParse(parts[2], out var index))
        {
            return null;
        }

        return document?["steps"] is JsonArray steps && index < steps.Count && steps[index]?["id"] is JsonValue id && id.TryGetValue<string>(out var value)
            ? value
            : null;
    }

    private static string Describe(JsonNode? document, string pointer, string keyword, string message, string evaluationPath, string schemaLocation)
    {
        var where = Readable(pointer);
        if (evaluationPath.EndsWith("/additionalProperties", StringComparison.Ordinal))
        {
            var name = where[(where.LastIndexOf('.') + 1)..];
            return $"{where}: unknown property '{name}' (property names are case-sensitive; docs/workflows.md lists them).";
        }

        var value = Value(document, pointer);
        if (keyword == "pattern" && schemaLocation.EndsWith("/$defs/duration", StringComparison.Ordinal))
        {
            return $"{where}: '{value}' is not a duration; write [d.]hh:mm:ss[.fffffff], e.g. 00:00:10 for ten seconds.";
        }

        if (keyword == "pattern" && schemaLocation.EndsWith("/$defs/id", StringComparison.Ordinal))
        {
            return $"{where}: '{value}' is not a valid id: 1 to 128 ASCII letters, digits, '-', '_' or '.', starting with a letter or a digit.";
        }

        if (keyword == "enum")
        {
            return $"{where}: '{value}' is not one of the allowed values ({message}).";
        }

        return $"{where}: {message}";
    }

    private static string Value(JsonNode? document, string pointer)
    {
        var node = document;
        foreach (var raw in pointer.Split('/').Skip(1))
        {
            var token = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj => obj[token],
                JsonArray array when int.TryParse(token, out var i) && i < array.Count => array[i],
                _ => null,
            };
        }

        var text = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "null";
        return text.Length > 80 ? text[..80] + "..." : text;
    }

    private static string LoadText()
    {
        using var stream = typeof(WorkflowSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from {typeof(WorkflowSchema).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
