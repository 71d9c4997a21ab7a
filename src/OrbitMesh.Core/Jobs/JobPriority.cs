using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>
/// The priority of a job in the dispatcher's queue. Higher priorities are served first, but a lower
/// priority is never starved.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobPriority>))]
public enum JobPriority
{
    /// <summary>Background work.</summary>
    Low = 0,

    /// <summary>The default.</summary>
    Normal = 1,

    /// <summary>Served before normal and low work.</summary>
    High = 2,
}
