using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Twins;

/// <summary>
/// JSON Merge Patch (RFC 7396): a patch object sets the members it names, removes the members it sets
/// to null, and recurses into objects; anything that is not an object replaces the target whole.
/// </summary>
public static class JsonMergePatch
{
    /// <summary>An empty JSON object.</summary>
    public static JsonElement EmptyObject { get; } = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>The target with the patch applied.</summary>
    public static JsonElement Apply(JsonElement target, JsonElement patch)
    {
        var node = Apply(ToNode(target), patch);
        return node is null ? JsonDocument.Parse("null").RootElement.Clone() : JsonSerializer.SerializeToElement(node);
    }

    /// <summary>
    /// One patch that does what applying <paramref name="first"/> and then <paramref name="second"/> does.
    /// </summary>
    public static JsonElement Compose(JsonElement first, JsonElement second)
    {
        if (second.ValueKind != JsonValueKind.Object || first.ValueKind != JsonValueKind.Object)
        {
            return second.Clone();
        }

        var result = (JsonObject)JsonNode.Parse(first.GetRawText())!;
        foreach (var property in second.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && result[property.Name] is JsonObject existing)
            {
                result[property.Name] = JsonNode.Parse(Compose(JsonSerializer.SerializeToElement(existing), property.Value).GetRawText());
            }
            else
            {
                result[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(property.Value.GetRawText());
            }
        }

        return JsonSerializer.SerializeToElement(result);
    }

    /// <summary>True when <paramref name="value"/> is a JSON object (what twin documents and patches must be).</summary>
    public static bool IsObject(JsonElement? value) => value is { ValueKind: JsonValueKind.Object };

    private static JsonNode? Apply(JsonNode? target, JsonElement patch)
    {
        if (patch.ValueKind != JsonValueKind.Object)
        {
            return patch.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(patch.GetRawText());
        }

        var result = target as JsonObject ?? [];
        foreach (var property in patch.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                result.Remove(property.Name);
            }
            else
            {
                var child = result[property.Name];
                result.Remove(property.Name);
                result[property.Name] = Apply(child?.DeepClone(), property.Value);
            }
        }

        return result;
    }

    private static JsonNode? ToNode(JsonElement element) =>
        element.ValueKind is JsonValueKind.Undefined ? null : JsonNode.Parse(element.GetRawText());
}
