using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// What undoes a completed step (or, as <see cref="WorkflowDefinition.OnFailure"/>, what runs once
/// when a run fails): a command on an agent, an <see cref="ICompensationStep"/> class on the server,
/// or a command on every agent of a target.
/// </summary>
public sealed record WorkflowCompensationDefinition
{
    /// <summary>What the compensation runs.</summary>
    public WorkflowStepKind Kind { get; init; }

    /// <summary>The command, for <see cref="WorkflowStepKind.Command"/> and <see cref="WorkflowStepKind.FanOut"/>.</summary>
    public string? Command { get; init; }

    /// <summary>The <see cref="ICompensationStep"/> type's full name, for <see cref="WorkflowStepKind.Class"/>.</summary>
    public string? StepType { get; init; }

    /// <summary>The command's parameters or the class's own parameters, as a JSON object, or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>Which agents run the command; null for any agent with a handler. Not for class compensations.</summary>
    public AgentTarget? Target { get; init; }

    /// <summary>How long the compensation may run; null for the runtime's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// The compensation's CLR type when the definition was built in code; not serialized. The runtime
    /// resolves <see cref="StepType"/> through its registry of step types either way.
    /// </summary>
    [JsonIgnore]
    public Type? StepClrType { get; init; }
}
