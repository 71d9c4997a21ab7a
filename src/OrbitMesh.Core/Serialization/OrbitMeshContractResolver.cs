using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using OrbitMesh.Protocol;

namespace OrbitMesh.Serialization;

/// <summary>
/// OrbitMesh's contract metadata: the source-generated <see cref="OrbitMeshJsonContext"/>, except for
/// the contracts whose init-only properties have initializers (such as
/// <see cref="AgentRegistration.MaxConcurrentJobs"/> = 1 or <see cref="AgentInfo.Capabilities"/> = []).
/// Source-generated metadata sets every init-only property when it creates the object, to the type's
/// default when the JSON lacks it (dotnet/runtime#84484), which would turn an absent
/// <c>maxConcurrentJobs</c> into 0 and an absent <c>capabilities</c> into null. Reflection metadata
/// keeps the initializers, so it serves those types.
/// </summary>
internal sealed class OrbitMeshContractResolver : IJsonTypeInfoResolver
{
    public static readonly OrbitMeshContractResolver Instance = new();

    private static readonly DefaultJsonTypeInfoResolver Reflection = new();

    private static readonly HashSet<Type> WithInitializers =
    [
        typeof(AgentInfo),
        typeof(AgentRegistration),
        typeof(AgentHeartbeat),
        typeof(JobRequest),
    ];

    private OrbitMeshContractResolver()
    {
    }

    public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options) =>
        WithInitializers.Contains(type)
            ? Reflection.GetTypeInfo(type, options)
            : ((IJsonTypeInfoResolver)OrbitMeshJsonContext.Default).GetTypeInfo(type, options);
}
