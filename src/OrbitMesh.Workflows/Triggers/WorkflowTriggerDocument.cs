using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Workflows;

/// <summary>
/// Reads a trigger file, YAML or JSON (the same readers as workflow files: anchors, aliases, tags
/// and duplicate keys refused), and reports every problem with its file, line and column.
/// </summary>
public static class WorkflowTriggerDocument
{
    /// <summary>The largest trigger document, in bytes (64 KiB).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Reads and validates a trigger.</summary>
    /// <exception cref="WorkflowValidationException">The document is too large, malformed, or the trigger is invalid; each error has its position.</exception>
    public static WorkflowTrigger Parse(ReadOnlySpan<byte> utf8, DateTimeOffset now, string? fileName = null, WorkflowDocumentFormat format = WorkflowDocumentFormat.Auto)
    {
        if (utf8.Length > MaxBytes)
        {
            throw Invalid(null, new WorkflowValidationError(WorkflowErrorCodes.OverLimit, $"The trigger document is {utf8.Length:N0} bytes; at most {MaxBytes:N0} bytes are allowed.") { File = fileName });
        }

        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        format = WorkflowDocument.Detect(format, fileName, utf8);
        var map = new SourceMap();
        JsonNode? tree;
        try
        {
            tree = format == WorkflowDocumentFormat.Json ? JsonSourceReader.Read(utf8, map) : YamlSourceReader.Read(Encoding.UTF8.GetString(utf8), map);
        }
        catch (DocumentSyntaxException ex)
        {
            throw Invalid(null, new WorkflowValidationError(ex.Code, ex.Message) { File = fileName, Line = ex.Position?.Line, Column = ex.Position?.Column });
        }

        if (tree is not JsonObject)
        {
            throw Invalid(null, new WorkflowValidationError(WorkflowErrorCodes.SchemaViolation, "A trigger document is a mapping (an object) with name, workflow and kind.") { File = fileName, Line = 1, Column = 1 });
        }

        WorkflowTrigger trigger;
        try
        {
            trigger = tree.Deserialize<WorkflowTrigger>(WorkflowTriggerJson.Options) ?? throw new JsonException("The trigger is null.");
        }
        catch (JsonException ex)
        {
            var pointer = SourceMap.FromJsonPath(ex.Path);
            var position = map.Find(pointer);
            var message = ex.Message.Contains("missing required properties", StringComparison.Ordinal)
                ? "A trigger needs 'name' and 'workflow'."
                : $"{(pointer.Length == 0 ? "The trigger" : pointer)}: {JsonSourceReader.FirstSentence(ex.Message)}";
            throw Invalid(null, new WorkflowValidationError(WorkflowErrorCodes.SchemaViolation, message) { File = fileName, Path = pointer, Line = position?.Line, Column = position?.Column }, ex);
        }

        var errors = WorkflowTriggerValidator.Validate(trigger, now);
        if (errors.Count > 0)
        {
            throw new WorkflowValidationException(trigger.Name, [.. errors.Select(error => map.Find(error.Path) is { } at
                ? error with { File = fileName, Line = at.Line, Column = at.Column }
                : error with { File = fileName })]);
        }

        return trigger;
    }

    /// <summary>Reads and validates a trigger file (YAML or JSON by its extension).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static async Task<WorkflowTrigger> ParseFileAsync(string path, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var bytes = await WorkflowDocument.ReadLimitedFileAsync(path, MaxBytes, "64 KiB", cancellationToken).ConfigureAwait(false);
        return Parse(bytes, now, path);
    }

    /// <summary>Writes a trigger as YAML or JSON.</summary>
    public static string Serialize(WorkflowTrigger trigger, WorkflowDocumentFormat format)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var json = JsonSerializer.SerializeToNode(trigger, WorkflowTriggerJson.Indented);
        return format == WorkflowDocumentFormat.Yaml ? WorkflowYamlWriter.WriteNode(json) : json!.ToJsonString(WorkflowTriggerJson.Indented);
    }

    private static WorkflowValidationException Invalid(string? name, WorkflowValidationError error, Exception? inner = null) => new(name, [error], inner);
}
