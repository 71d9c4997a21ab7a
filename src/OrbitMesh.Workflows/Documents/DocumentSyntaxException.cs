namespace OrbitMesh.Workflows;

/// <summary>A document that is not well-formed JSON or YAML, or uses what definitions refuse (aliases, tags, duplicate keys).</summary>
internal sealed class DocumentSyntaxException(string code, string message, SourcePosition? position, Exception? inner = null)
    : Exception(message, inner)
{
    public string Code { get; } = code;

    public SourcePosition? Position { get; } = position;
}
