namespace OrbitMesh.Workflows;

/// <summary>The text formats of a workflow definition.</summary>
public enum WorkflowDocumentFormat
{
    /// <summary>Decide from the file name (<c>.json</c>, <c>.yaml</c>, <c>.yml</c>), else from the text: JSON when it starts with '{'.</summary>
    Auto = 0,

    /// <summary>JSON, with comments and trailing commas accepted.</summary>
    Json = 1,

    /// <summary>One YAML 1.2 document, without anchors, aliases or tags.</summary>
    Yaml = 2,
}
