using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using OrbitMesh.Serialization;

namespace OrbitMesh;

/// <summary>
/// The JSON settings OrbitMesh uses: web defaults (camelCase, case-insensitive reads), enums as
/// strings, nulls omitted, the source-generated contract metadata first and reflection for user types
/// (handler parameters and results).
/// </summary>
public static class OrbitMeshJson
{
    /// <summary>Shared, read-only options.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>New options configured like <see cref="Options"/>.</summary>
    public static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        Configure(options);
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// Adds OrbitMesh's source-generated contract metadata in front of existing options (for example a
    /// hub protocol's payload options shared with other hubs), keeping reflection for every other type.
    /// Naming and other settings are left as they are; OrbitMesh's enums carry their own string converter.
    /// The few contracts whose properties have non-default initializers are read by reflection, so that
    /// a property absent from the JSON keeps its documented default.
    /// </summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.TypeInfoResolverChain.Contains(OrbitMeshContractResolver.Instance))
        {
            options.TypeInfoResolverChain.Insert(0, OrbitMeshContractResolver.Instance);
        }

        if (!options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>().Any())
        {
            options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        }
    }

    /// <summary>Serializes a value to a <see cref="JsonElement"/>; null stays null.</summary>
    public static JsonElement? ToElement(object? value, JsonSerializerOptions? options = null)
    {
        return value switch
        {
            null => null,
            JsonElement element => element,
            _ => JsonSerializer.SerializeToElement(value, value.GetType(), options ?? Options),
        };
    }
}
