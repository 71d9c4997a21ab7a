using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// How triggers are read and written as JSON: the workflow format's own options (<see cref="WorkflowJson"/>:
/// camelCase, unknown members refused, comments and trailing commas allowed, nulls left out).
/// </summary>
public static class WorkflowTriggerJson
{
    /// <summary>Shared, read-only options.</summary>
    public static JsonSerializerOptions Options => WorkflowJson.Options;

    /// <summary>The same, indented (for files).</summary>
    public static JsonSerializerOptions Indented => WorkflowJson.Indented;
}
