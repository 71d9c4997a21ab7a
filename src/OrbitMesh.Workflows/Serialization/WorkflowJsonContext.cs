using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows.Serialization;

/// <summary>
/// Source-generated metadata for the workflow definition format: camelCase, nulls omitted, unknown
/// properties refused (a misspelt <c>dependsOn</c> is an error, not a silently ignored key).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(WorkflowDefinition))]
[JsonSerializable(typeof(WorkflowValidationError))]
[JsonSerializable(typeof(IReadOnlyList<WorkflowValidationError>))]
internal sealed partial class WorkflowJsonContext : JsonSerializerContext;
