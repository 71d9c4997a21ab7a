using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Replaces a job's secret parameter values wherever a handler echoes them (its result, error, progress
/// messages and stream items) with <see cref="JobSecrets.Redacted"/> before anything is stored, published
/// or logged. Values shorter than <see cref="MinimumLength"/> characters are left alone: redacting every
/// "1" or "on" in a result would destroy it, and such values are no secret worth the name.
/// </summary>
internal sealed class SecretRedactor
{
    /// <summary>The shortest secret value that is redacted.</summary>
    public const int MinimumLength = 4;

    /// <summary>A redactor that changes nothing (the job has no secrets).</summary>
    public static readonly SecretRedactor None = new([]);

    private readonly string[] _values;

    public SecretRedactor(IEnumerable<string> values) =>
        // Longest first, so a secret that contains another is replaced whole.
        _values = [.. values.Where(v => v.Length >= MinimumLength).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];

    public bool IsEmpty => _values.Length == 0;

    /// <summary>The secret values of <paramref name="secrets"/> (a JSON object of name → value): strings as they are, other values as JSON text.</summary>
    public static SecretRedactor From(JsonObject secrets) =>
        new(secrets.Select(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? ""));

    public string? Redact(string? text)
    {
        if (text is null || IsEmpty)
        {
            return text;
        }

        foreach (var value in _values)
        {
            text = text.Replace(value, JobSecrets.Redacted, StringComparison.Ordinal);
        }

        return text;
    }

    public JobError? Redact(JobError? error) =>
        error is null || IsEmpty ? error : error with { Message = Redact(error.Message)!, Details = Redact(error.Details) };

    public JsonElement? Redact(JsonElement? element)
    {
        if (element is not { } value || IsEmpty || !Contains(value.GetRawText()))
        {
            return element;
        }

        var node = JsonNode.Parse(value.GetRawText());
        return JsonSerializer.SerializeToElement(RedactNode(node), OrbitMeshJson.Options);
    }

    /// <summary>True when the JSON text mentions a secret (cheap pre-check; escapes make it approximate, so a match is redacted node by node).</summary>
    private bool Contains(string text) => _values.Any(v => text.Contains(v, StringComparison.Ordinal) || text.Contains(JsonEncodedText.Encode(v).Value, StringComparison.Ordinal));

    private JsonNode? RedactNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    obj[name] = RedactNode(child);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = RedactNode(array[i]);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(Redact(text));
            case JsonValue value when _values.Contains(value.ToJsonString(), StringComparer.Ordinal):
                return JsonValue.Create(JobSecrets.Redacted);
            default:
                return node?.DeepClone();
        }
    }
}
