using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace OrbitMesh.Workflows;

/// <summary>
/// Reads and writes workflow definitions as JSON (docs/workflows.md describes the format). Reading
/// refuses input over <see cref="WorkflowLimits.MaxDefinitionBytes"/> before parsing it and turns
/// malformed JSON into a <see cref="WorkflowValidationException"/>; it does not validate the graph:
/// call <see cref="WorkflowValidator.Validate"/> on the result.
/// </summary>
/// <remarks>
/// The format is camelCase with enums as camelCase strings, nulls omitted, comments and trailing
/// commas accepted, and unknown properties refused (a misspelt <c>dependsOn</c> is an error, not a
/// silently ignored key). Contract metadata comes from reflection rather than a source-generated
/// context on purpose: the generator assigns every init-only property, so a member absent from the
/// JSON would lose its documented default (version 1, an empty <c>dependsOn</c>, the retry defaults).
/// </remarks>
public static class WorkflowJson
{
    private static readonly JsonSerializerOptions IndentedOptions = Create(indented: true);

    /// <summary>The serializer options of the format (read-only).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>The same, indented (for files).</summary>
    internal static JsonSerializerOptions Indented => IndentedOptions;

    /// <summary>Writes a definition as JSON. Code-only members (conditions, configure actions) are left out.</summary>
    public static string Serialize(WorkflowDefinition definition, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return JsonSerializer.Serialize(definition, Definition(indented));
    }

    /// <summary>Writes a definition as UTF-8 JSON.</summary>
    public static byte[] SerializeToUtf8Bytes(WorkflowDefinition definition, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return JsonSerializer.SerializeToUtf8Bytes(definition, Definition(indented));
    }

    /// <summary>Reads a definition from JSON text.</summary>
    /// <exception cref="WorkflowValidationException">The text is too large or not a definition.</exception>
    public static WorkflowDefinition Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > WorkflowLimits.MaxDefinitionBytes)
        {
            throw TooLarge(bytes);
        }

        try
        {
            return JsonSerializer.Deserialize(json, Definition(false)) ?? throw NullJson();
        }
        catch (JsonException ex)
        {
            throw InvalidJson(ex);
        }
    }

    /// <summary>Reads a definition from UTF-8 JSON.</summary>
    /// <exception cref="WorkflowValidationException">The input is too large or not a definition.</exception>
    public static WorkflowDefinition Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > WorkflowLimits.MaxDefinitionBytes)
        {
            throw TooLarge(utf8Json.Length);
        }

        try
        {
            return JsonSerializer.Deserialize(utf8Json, Definition(false)) ?? throw NullJson();
        }
        catch (JsonException ex)
        {
            throw InvalidJson(ex);
        }
    }

    /// <summary>
    /// Reads a definition from a stream (a request body, a file), reading at most one byte past
    /// <see cref="WorkflowLimits.MaxDefinitionBytes"/>.
    /// </summary>
    /// <exception cref="WorkflowValidationException">The input is too large or not a definition.</exception>
    public static async Task<WorkflowDefinition> DeserializeAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var buffer = ArrayPool<byte>.Shared.Rent(WorkflowLimits.MaxDefinitionBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= WorkflowLimits.MaxDefinitionBytes
                && (read = await utf8Json.ReadAsync(buffer.AsMemory(length, WorkflowLimits.MaxDefinitionBytes + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            if (length > WorkflowLimits.MaxDefinitionBytes)
            {
                throw TooLarge(null);
            }

            return Deserialize(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static JsonTypeInfo<WorkflowDefinition> Definition(bool indented) =>
        (JsonTypeInfo<WorkflowDefinition>)(indented ? IndentedOptions : Options).GetTypeInfo(typeof(WorkflowDefinition));

    /// <summary>A step without dependencies is written without <c>dependsOn</c> rather than with an empty list.</summary>
    private static void OmitEmptyDependencies(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Type != typeof(WorkflowStepDefinition) && typeInfo.Type != typeof(WorkflowDefinition))
        {
            return;
        }

        foreach (var property in typeInfo.Properties)
        {
            if (property.Name is "dependsOn" or "requiredParameters")
            {
                property.ShouldSerialize = static (_, value) => value is IReadOnlyList<string> { Count: > 0 };
            }
        }
    }

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OmitEmptyDependencies } },
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            WriteIndented = indented,
        };
        options.MakeReadOnly();
        return options;
    }

    private static WorkflowValidationException InvalidJson(JsonException ex) =>
        new(null, [new WorkflowValidationError(WorkflowErrorCodes.InvalidJson, $"The definition is not valid JSON: {ex.Message}")], ex);

    private static WorkflowValidationException NullJson() =>
        new(null, [new WorkflowValidationError(WorkflowErrorCodes.InvalidJson, "The definition is empty: the JSON is null.")]);

    private static WorkflowValidationException TooLarge(long? bytes)
    {
        var size = bytes is { } b ? $"{b:N0} bytes" : "larger than that";
        return new WorkflowValidationException(null, [new WorkflowValidationError(
            WorkflowErrorCodes.OverLimit,
            $"The definition is {size}; at most {WorkflowLimits.MaxDefinitionBytes:N0} bytes (1 MiB) are allowed.")]);
    }
}
