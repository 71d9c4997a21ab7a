using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>How one attempt of a step ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StepResultStatus>))]
public enum StepResultStatus
{
    /// <summary>The step did its work; its output flows to later steps.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded = 0,

    /// <summary>The step failed; it is retried when its policy allows and the failure is retryable.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed = 1,

    /// <summary>The step decided there was nothing to do; later steps proceed as if it succeeded.</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped = 2,
}
