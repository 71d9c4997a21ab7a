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
[JsonSerializable(typeof(Security.EnrollmentRequest))]
[JsonSerializable(typeof(Security.EnrollmentStatus))]
[JsonSerializable(typeof(Security.ChallengeRequest))]
[JsonSerializable(typeof(Security.NodeChallenge))]
[JsonSerializable(typeof(Security.StatusRequest))]
[JsonSerializable(typeof(Security.BootstrapTokenRequest))]
[JsonSerializable(typeof(Security.BootstrapTokenView))]
[JsonSerializable(typeof(IReadOnlyList<Security.BootstrapTokenView>))]
[JsonSerializable(typeof(Security.NodeDecision))]
[JsonSerializable(typeof(Security.NodeView))]
[JsonSerializable(typeof(IReadOnlyList<Security.NodeView>))]
[JsonSerializable(typeof(Storage.AuditEntry))]
[JsonSerializable(typeof(IReadOnlyList<Storage.AuditEntry>))]
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
[JsonSerializable(typeof(JobRecord))]
[JsonSerializable(typeof(IReadOnlyList<JobRecord>))]
[JsonSerializable(typeof(JobEvent))]
[JsonSerializable(typeof(JobQuery))]
[JsonSerializable(typeof(JobAssignment))]
[JsonSerializable(typeof(JobAck))]
[JsonSerializable(typeof(JobNack))]
[JsonSerializable(typeof(JobProgress))]
[JsonSerializable(typeof(JobItems))]
[JsonSerializable(typeof(JobCompletion))]
[JsonSerializable(typeof(JobReportResult))]
[JsonSerializable(typeof(JobCancellation))]
[JsonSerializable(typeof(JobInputChunk))]
[JsonSerializable(typeof(HeldJob))]
[JsonSerializable(typeof(RawMessage))]
[JsonSerializable(typeof(Api.JobSubmission))]
[JsonSerializable(typeof(Api.InvokeSubmission))]
[JsonSerializable(typeof(Api.InvokeAnswer))]
[JsonSerializable(typeof(Api.JobAccepted))]
[JsonSerializable(typeof(Api.JobView))]
[JsonSerializable(typeof(IReadOnlyList<Api.JobView>))]
[JsonSerializable(typeof(AgentJobResult))]
[JsonSerializable(typeof(IReadOnlyList<AgentJobResult>))]
[JsonSerializable(typeof(RollingResult))]
[JsonSerializable(typeof(TwinDesired))]
[JsonSerializable(typeof(TwinAck))]
[JsonSerializable(typeof(TwinReport))]
[JsonSerializable(typeof(TwinReportResult))]
[JsonSerializable(typeof(AgentStatusReport))]
[JsonSerializable(typeof(Twins.AgentTwin))]
[JsonSerializable(typeof(Twins.DesiredPatched))]
[JsonSerializable(typeof(Twins.ReportedPatched))]
[JsonSerializable(typeof(Twins.DesiredAcknowledged))]
public sealed partial class OrbitMeshJsonContext : JsonSerializerContext;
