using System.Text.Json;
using System.Text.Json.Serialization;
using OrbitMesh.Protocol;

namespace OrbitMesh.Serialization;

/// <summary>
/// Source-generated serialization metadata for every contract type that crosses the wire.
/// </summary>
/// <remarks>
/// Prefer <see cref="OrbitMeshJson.Options"/> or <see cref="OrbitMeshJson.Configure"/>: used directly,
/// this context reads a property that is absent from the JSON as its type's default rather than the
/// property's initializer (for example <see cref="AgentRegistration.MaxConcurrentJobs"/> becomes 0).
/// </remarks>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AgentInfo))]
[JsonSerializable(typeof(IReadOnlyList<AgentInfo>))]
[JsonSerializable(typeof(AgentLoad))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobResult))]
[JsonSerializable(typeof(JobError))]
[JsonSerializable(typeof(AgentRegistration))]
[JsonSerializable(typeof(RegistrationResult))]
[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSerializable(typeof(HeartbeatAck))]
[JsonSerializable(typeof(InvokeRequest))]
[JsonSerializable(typeof(InvokeResult))]
[JsonSerializable(typeof(DisconnectNotice))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class OrbitMeshJsonContext : JsonSerializerContext;
