using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>What a step runs. In JSON: <c>"command"</c>, <c>"class"</c> or <c>"fanOut"</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkflowStepKind>))]
public enum WorkflowStepKind
{
    /// <summary>A command run as a durable job on one agent chosen by the step's target.</summary>
    [JsonStringEnumMemberName("command")]
    Command = 0,

    /// <summary>An <see cref="IWorkflowStep"/> class run on the server, activated from dependency injection.</summary>
    [JsonStringEnumMemberName("class")]
    Class = 1,

    /// <summary>A command run as one job on every agent that matches the step's target.</summary>
    [JsonStringEnumMemberName("fanOut")]
    FanOut = 2,
}
