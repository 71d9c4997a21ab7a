using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace OrbitMesh.Workflows;

/// <summary>
/// A workflow definition read from a JSON or YAML document, with the positions of its values, so that
/// every error (syntax, schema, types, and the validator's graph errors) names the file, line and
/// column. One model, two formats: both are read into the same JSON tree, checked against
/// <see cref="WorkflowSchema"/>, and bound by <see cref="WorkflowJson"/>'s contract.
/// </summary>
public sealed class WorkflowDocument
{
    /// <summary>The deepest nesting a document may have (objects and arrays).</summary>
    public const int MaxDepth = 64;

    private readonly SourceMap map;
    private readonly JsonNode? tree;

    private WorkflowDocument(WorkflowDefinition definition, WorkflowDocumentFormat format, string? fileName, SourceMap map, JsonNode? tree)
    {
        Definition = definition;
        Format = format;
        FileName = fileName;
        this.map = map;
        this.tree = tree;
    }

    /// <summary>The definition the document holds (not yet checked by <see cref="WorkflowValidator"/>).</summary>
    public WorkflowDefinition Definition { get; }

    /// <summary>The format it was read as.</summary>
    public WorkflowDocumentFormat Format { get; }

    /// <summary>The file it came from, or null.</summary>
    public string? FileName { get; }

    /// <summary>
    /// Reads a document and binds it to a definition. Every syntax and schema error is reported at
    /// once; the graph is not validated here (call <see cref="Validate"/>, or <see cref="Parse(string, string?, WorkflowDocumentFormat)"/>).
    /// </summary>
    /// <exception cref="WorkflowValidationException">The document is too large, malformed, or breaks the schema; each error has its position.</exception>
    public static WorkflowDocument Read(ReadOnlySpan<byte> utf8, string? fileName = null, WorkflowDocumentFormat format = WorkflowDocumentFormat.Auto)
    {
        if (utf8.Length > WorkflowLimits.MaxDefinitionBytes)
        {
            throw new WorkflowValidationException(null, [Located(new WorkflowValidationError(
                WorkflowErrorCodes.OverLimit,
                $"The document is {utf8.Length:N0} bytes; at most {WorkflowLimits.MaxDefinitionBytes:N0} bytes (1 MiB) are allowed."), fileName, null, null)]);
        }

        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        format = Detect(format, fileName, utf8);
        var map = new SourceMap();
        JsonNode? tree;
        try
        {
            tree = format == WorkflowDocumentFormat.Json
                ? JsonSourceReader.Read(utf8, map)
                : YamlSourceReader.Read(Encoding.UTF8.GetString(utf8), map);
        }
        catch (DocumentSyntaxException ex)
        {
            throw new WorkflowValidationException(null, [Located(new WorkflowValidationError(ex.Code, ex.Message), fileName, null, ex.Position)], ex);
        }

        var schemaErrors = WorkflowSchema.Check(tree);
        if (schemaErrors.Count > 0)
        {
            throw new WorkflowValidationException(NameOf(tree), [.. schemaErrors.Select(e => Located(e, fileName, e.Path, map.Find(e.Path)))]);
        }

        WorkflowDefinition definition;
        try
        {
            definition = tree.Deserialize((JsonTypeInfo<WorkflowDefinition>)WorkflowJson.Options.GetTypeInfo(typeof(WorkflowDefinition)))
                ?? throw new JsonException("The definition is null.");
        }
        catch (JsonException ex)
        {
            var pointer = SourceMap.FromJsonPath(ex.Path);
            var error = new WorkflowValidationError(WorkflowErrorCodes.InvalidJson, $"{WorkflowSchema.Readable(pointer)}: {JsonSourceReader.FirstSentence(ex.Message)}", WorkflowSchema.StepIdAt(tree, pointer));
            throw new WorkflowValidationException(NameOf(tree), [Located(error, fileName, pointer, map.Find(pointer))], ex);
        }

        return new WorkflowDocument(definition, format, fileName, map, tree);
    }

    /// <inheritdoc cref="Read(ReadOnlySpan{byte}, string?, WorkflowDocumentFormat)"/>
    public static WorkflowDocument Read(string text, string? fileName = null, WorkflowDocumentFormat format = WorkflowDocumentFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Read(Encoding.UTF8.GetBytes(text), fileName, format);
    }

    /// <summary>Reads a document and validates the definition it holds; every error has its position.</summary>
    /// <exception cref="WorkflowValidationException">Anything is wrong with the document or the definition.</exception>
    public static WorkflowDefinition Parse(string text, string? fileName = null, WorkflowDocumentFormat format = WorkflowDocumentFormat.Auto)
    {
        var document = Read(text, fileName, format);
        document.ThrowIfInvalid(WorkflowValidator.Validate(document.Definition));
        return document.Definition;
    }

    /// <summary>Reads a file (JSON or YAML by its extension) and validates the definition it holds.</summary>
    public static async Task<WorkflowDefinition> ParseFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var document = await ReadFileAsync(path, cancellationToken).ConfigureAwait(false);
        document.ThrowIfInvalid(WorkflowValidator.Validate(document.Definition));
        return document.Definition;
    }

    /// <summary>Reads a file (JSON or YAML by its extension) without validating the graph.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static async Task<WorkflowDocument> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadLimitedFileAsync(path, WorkflowLimits.MaxDefinitionBytes, "1 MiB", cancellationToken).ConfigureAwait(false);
        return Read(bytes, path);
    }

    /// <summary>A document file's bytes, refused before reading when it is larger than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="WorkflowValidationException">The file is too large.</exception>
    internal static async Task<byte[]> ReadLimitedFileAsync(string path, int maxBytes, string? limitText, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"No file at '{path}'.", path);
        }

        if (info.Length > maxBytes)
        {
            var limit = limitText is null ? string.Empty : $" ({limitText})";
            throw new WorkflowValidationException(null, [Located(new WorkflowValidationError(
                WorkflowErrorCodes.OverLimit,
                $"The file is {info.Length:N0} bytes; at most {maxBytes:N0} bytes{limit} are allowed."), path, null, null)]);
        }

        return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Validates the definition: <see cref="WorkflowValidator.Validate"/>'s errors, located in this document.</summary>
    public IReadOnlyList<WorkflowValidationError> Validate() => Locate(WorkflowValidator.Validate(Definition));

    /// <summary>Throws the given errors, located in this document, when there are any.</summary>
    public void ThrowIfInvalid(IReadOnlyList<WorkflowValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count > 0)
        {
            throw new WorkflowValidationException(Definition.Name, Locate(errors));
        }
    }

    /// <summary>
    /// Adds this document's file, line and column to errors found on its definition: an error about
    /// a step points at that step, others at the document.
    /// </summary>
    public IReadOnlyList<WorkflowValidationError> Locate(IEnumerable<WorkflowValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return [.. errors.Select(error =>
        {
            var pointer = error.Path ?? PointerOfStep(error.StepId);
            return Located(error, FileName, pointer, map.Find(pointer));
        })];
    }

    /// <summary>Writes a definition in a format; code-only members are left out, as in <see cref="WorkflowJson"/>.</summary>
    public static string Serialize(WorkflowDefinition definition, WorkflowDocumentFormat format) => format switch
    {
        WorkflowDocumentFormat.Yaml => WorkflowYamlWriter.Write(definition),
        _ => WorkflowJson.Serialize(definition, indented: true),
    };

    /// <summary>The format for a file name and its content.</summary>
    public static WorkflowDocumentFormat Detect(WorkflowDocumentFormat format, string? fileName, ReadOnlySpan<byte> utf8)
    {
        if (format != WorkflowDocumentFormat.Auto)
        {
            return format;
        }

        var extension = Path.GetExtension(fileName ?? string.Empty);
        if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return WorkflowDocumentFormat.Json;
        }

        if (extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return WorkflowDocumentFormat.Yaml;
        }

        var trimmed = utf8.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'{' ? WorkflowDocumentFormat.Json : WorkflowDocumentFormat.Yaml;
    }

    private string? PointerOfStep(string? stepId)
    {
        if (stepId is null || tree?["steps"] is not JsonArray steps)
        {
            return null;
        }

        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i]?["id"] is JsonValue id && id.TryGetValue<string>(out var value) && value == stepId)
            {
                return SourceMap.Child("/steps", i);
            }
        }

        return null;
    }

    private static WorkflowValidationError Located(WorkflowValidationError error, string? fileName, string? pointer, SourcePosition? position) =>
        error with { File = fileName, Path = pointer ?? error.Path, Line = position?.Line ?? error.Line, Column = position?.Column ?? error.Column };

    private static string? NameOf(JsonNode? tree) =>
        tree?["name"] is JsonValue name && name.TryGetValue<string>(out var value) ? value : null;
}
