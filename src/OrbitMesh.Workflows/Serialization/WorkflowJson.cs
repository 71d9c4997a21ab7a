using System.Text;
using System.Text.Json;
using OrbitMesh.Workflows.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// Reads and writes workflow definitions as JSON (docs/workflows.md describes the format). Reading
/// refuses input over <see cref="WorkflowLimits.MaxDefinitionBytes"/> before parsing it and turns
/// malformed JSON into a <see cref="WorkflowValidationException"/>; it does not validate the graph:
/// call <see cref="WorkflowValidator.Validate"/> on the result.
/// </summary>
public static class WorkflowJson
{
    private static readonly WorkflowJsonContext Indented = new(new JsonSerializerOptions(WorkflowJsonContext.Default.Options) { WriteIndented = true });

    /// <summary>The serializer options of the format (read-only).</summary>
    public static JsonSerializerOptions Options => WorkflowJsonContext.Default.Options;

    /// <summary>Writes a definition as JSON. Code-only members (conditions, configure actions) are left out.</summary>
    public static string Serialize(WorkflowDefinition definition, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return JsonSerializer.Serialize(definition, Context(indented).WorkflowDefinition);
    }

    /// <summary>Writes a definition as UTF-8 JSON.</summary>
    public static byte[] SerializeToUtf8Bytes(WorkflowDefinition definition, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return JsonSerializer.SerializeToUtf8Bytes(definition, Context(indented).WorkflowDefinition);
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

        return Read(() => JsonSerializer.Deserialize(json, WorkflowJsonContext.Default.WorkflowDefinition));
    }

    /// <summary>Reads a definition from UTF-8 JSON.</summary>
    /// <exception cref="WorkflowValidationException">The input is too large or not a definition.</exception>
    public static WorkflowDefinition Deserialize(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > WorkflowLimits.MaxDefinitionBytes)
        {
            throw TooLarge(utf8Json.Length);
        }

        var copy = utf8Json.ToArray();
        return Read(() => JsonSerializer.Deserialize(copy, WorkflowJsonContext.Default.WorkflowDefinition));
    }

    /// <summary>
    /// Reads a definition from a stream (a request body, a file), reading at most one byte past
    /// <see cref="WorkflowLimits.MaxDefinitionBytes"/>.
    /// </summary>
    /// <exception cref="WorkflowValidationException">The input is too large or not a definition.</exception>
    public static async Task<WorkflowDefinition> DeserializeAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var buffer = new byte[WorkflowLimits.MaxDefinitionBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length
            && (read = await utf8Json.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        if (length > WorkflowLimits.MaxDefinitionBytes)
        {
            throw TooLarge(null);
        }

        return Deserialize(buffer.AsSpan(0, length));
    }

    private static WorkflowJsonContext Context(bool indented) => indented ? Indented : WorkflowJsonContext.Default;

    private static WorkflowDefinition Read(Func<WorkflowDefinition?> read)
    {
        WorkflowDefinition? definition;
        try
        {
            definition = read();
        }
        catch (JsonException ex)
        {
            throw new WorkflowValidationException(null, [new WorkflowValidationError(WorkflowErrorCodes.InvalidJson, $"The definition is not valid JSON: {ex.Message}")], ex);
        }

        return definition ?? throw new WorkflowValidationException(null, [new WorkflowValidationError(WorkflowErrorCodes.InvalidJson, "The definition is empty: the JSON is null.")]);
    }

    private static WorkflowValidationException TooLarge(long? bytes)
    {
        var size = bytes is { } b ? $"{b:N0} bytes" : "larger than that";
        return new WorkflowValidationException(null, [new WorkflowValidationError(
            WorkflowErrorCodes.OverLimit,
            $"The definition is {size}; at most {WorkflowLimits.MaxDefinitionBytes:N0} bytes (1 MiB) are allowed.")]);
    }
}
