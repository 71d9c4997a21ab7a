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
    /// A patch that turns <paramref name="from"/> into <paramref name="to"/>: members missing from
    /// <paramref name="to"/> become null, objects on both sides are compared member by member, anything
    /// else that differs is replaced. (Merge patches do not compose in general, e.g. "remove a member"
    /// followed by "set it to an object", so deltas are computed as differences of documents.)
    /// </summary>
    public static JsonElement Diff(JsonElement from, JsonElement to)
    {
        var node = DiffNode(ToNode(from), ToNode(to));
        return node is null ? EmptyObject : JsonSerializer.SerializeToElement(node);
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

    private static JsonNode? DiffNode(JsonNode? from, JsonNode? to)
    {
        if (to is not JsonObject toObject || from is not JsonObject fromObject)
        {
            return to?.DeepClone();
        }

        var patch = new JsonObject();
        foreach (var (name, _) in fromObject)
        {
            if (!toObject.ContainsKey(name))
            {
                patch[name] = null;
            }
        }

        foreach (var (name, value) in toObject)
        {
            var before = fromObject.TryGetPropertyValue(name, out var existing) ? existing : null;
            if (fromObject.ContainsKey(name) && JsonNode.DeepEquals(before, value))
            {
                continue;
            }

            patch[name] = before is JsonObject && value is JsonObject ? DiffNode(before, value) : value?.DeepClone();
        }

        return patch;
    }

    private static JsonNode? ToNode(JsonElement element) =>
        element.ValueKind is JsonValueKind.Undefined ? null : JsonNode.Parse(element.GetRawText());
}
