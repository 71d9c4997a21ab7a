using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Workflows;

/// <summary>Replaces a run's secret values in what a step reports (its output, its failure reason) with <see cref="Redacted"/>.</summary>
internal static class SecretText
{
    /// <summary>What a secret value shows instead of itself.</summary>
    public const string Redacted = "***";

    /// <summary>The result with every occurrence of a secret value replaced; the result itself when none occurs.</summary>
    public static StepResult Redact(StepResult result, IEnumerable<string> values)
    {
        var secrets = values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length).ToList();
        if (secrets.Count == 0)
        {
            return result;
        }

        var reason = Redact(result.Reason, secrets);
        return result.Status switch
        {
            StepResultStatus.Succeeded when result.Output is { } output && Contains(output.GetRawText(), secrets) => StepResult.Success(RedactNode(JsonNode.Parse(output.GetRawText()), secrets)),
            StepResultStatus.Failed when !string.Equals(reason, result.Reason, StringComparison.Ordinal) => StepResult.Failed(reason!, result.IsRetryable),
            StepResultStatus.Skipped when !string.Equals(reason, result.Reason, StringComparison.Ordinal) => StepResult.Skipped(reason),
            _ => result,
        };
    }

    private static bool Contains(string text, List<string> secrets) =>
        secrets.Exists(s => text.Contains(s, StringComparison.Ordinal) || text.Contains(JsonEncodedText.Encode(s).ToString(), StringComparison.Ordinal));

    private static string? Redact(string? text, List<string> secrets)
    {
        if (text is null)
        {
            return null;
        }

        foreach (var secret in secrets)
        {
            text = text.Replace(secret, Redacted, StringComparison.Ordinal);
        }

        return text;
    }

    private static JsonNode? RedactNode(JsonNode? node, List<string> secrets)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (name, child) in obj)
                {
                    copy[name] = RedactNode(child, secrets);
                }

                return copy;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                {
                    items.Add(RedactNode(item, secrets));
                }

                return items;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(Redact(value.GetValue<string>(), secrets));
            default:
                return node?.DeepClone();
        }
    }
}
