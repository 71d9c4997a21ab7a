using System.Text.Json.Serialization;

namespace OrbitMesh;

/// <summary>
/// The five ways OrbitMesh executes work on an agent.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionPattern>))]
public enum ExecutionPattern
{
    /// <summary>One-way: delivered and acknowledged, no result is awaited.</summary>
    FireAndForget = 0,

    /// <summary>One result, awaited with a timeout.</summary>
    RequestResponse = 1,

    /// <summary>A stream of items from the agent to the caller.</summary>
    Streaming = 2,

    /// <summary>Reports progress, then a result.</summary>
    LongRunning = 3,

    /// <summary>One step of a multi-step workflow run.</summary>
    Workflow = 4,
}
