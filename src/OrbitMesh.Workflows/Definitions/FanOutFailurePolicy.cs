using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// What a fan-out step's result is when some of its agents fail. In JSON: <c>"failOnAny"</c>,
/// <c>"allowPartial"</c> or <c>"ignoreFailures"</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<FanOutFailurePolicy>))]
public enum FanOutFailurePolicy
{
    /// <summary>The step fails when any agent fails (the default).</summary>
    [JsonStringEnumMemberName("failOnAny")]
    FailOnAny = 0,

    /// <summary>The step succeeds when at least one agent succeeded; it fails when all failed or none matched.</summary>
    [JsonStringEnumMemberName("allowPartial")]
    AllowPartial = 1,

    /// <summary>The step succeeds whatever its agents report; the output lists each agent's result.</summary>
    [JsonStringEnumMemberName("ignoreFailures")]
    IgnoreFailures = 2,
}
