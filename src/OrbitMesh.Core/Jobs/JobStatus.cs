using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>
/// The lifecycle status of a job.
/// </summary>
/// <remarks>
/// Pending → Assigned → Running → Completed | Failed | Cancelled | TimedOut. A failed job goes back to
/// Pending while it has attempts left, and is <see cref="DeadLettered"/> after the last one.
/// </remarks>
[JsonConverter(typeof(JsonStringEnumConverter<JobStatus>))]
public enum JobStatus
{
    /// <summary>Accepted and waiting for an agent.</summary>
    Pending = 0,

    /// <summary>Sent to an agent that has not acknowledged it yet.</summary>
    Assigned = 1,

    /// <summary>Acknowledged and executing on an agent.</summary>
    Running = 2,

    /// <summary>Finished with a result.</summary>
    Completed = 3,

    /// <summary>The last attempt failed.</summary>
    Failed = 4,

    /// <summary>Cancelled by the caller.</summary>
    Cancelled = 5,

    /// <summary>Did not finish within its timeout.</summary>
    TimedOut = 6,

    /// <summary>Failed on every attempt and set aside for inspection.</summary>
    DeadLettered = 7,
}
