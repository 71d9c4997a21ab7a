using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// One step of a workflow: what it runs (<see cref="Kind"/>), after which steps, how often, for how
/// long and what undoes it. Plain data that round-trips through <see cref="WorkflowJson"/>, except
/// for the code-only members <see cref="Condition"/>, <see cref="Configure"/> and <see cref="StepClrType"/>.
/// </summary>
public sealed record WorkflowStepDefinition
{
    /// <summary>
    /// The step's id, unique in the workflow: 1 to <see cref="WorkflowLimits.MaxIdLength"/> letters,
    /// digits, '-', '_' or '.', starting with a letter or digit.
    /// </summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>What the step runs. Default <see cref="WorkflowStepKind.Command"/>.</summary>
    public WorkflowStepKind Kind { get; init; }

    /// <summary>The command, for command and fan-out steps.</summary>
    public string? Command { get; init; }

    /// <summary>The <see cref="IWorkflowStep"/> type's full name, for class steps.</summary>
    public string? StepType { get; init; }

    /// <summary>The command's parameters, or a class step's own parameters, as a JSON object; or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>
    /// Which agents run a command step (one of them) or a fan-out step (all of them); null for any
    /// agent with a handler for the command. Class steps run on the server and take no target.
    /// </summary>
    public AgentTarget? Target { get; init; }

    /// <summary>The ids of the steps that must finish (succeed or be skipped) before this one starts.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>How often the step is attempted; null for one attempt.</summary>
    public WorkflowRetryPolicy? Retry { get; init; }

    /// <summary>How long one attempt may run; null for the runtime's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What a fan-out step reports when some agents fail; only for fan-out steps.</summary>
    public FanOutFailurePolicy? FanOutPolicy { get; init; }

    /// <summary>
    /// A condition over the run's parameters and earlier steps (docs/workflows.md, Expressions), with
    /// or without a <c>${{ }}</c> wrapper; false or null skips the step. Unlike <see cref="Condition"/>
    /// it is data: it is serialized, so a definition with it runs and resumes on any server.
    /// </summary>
    [JsonPropertyName("if")]
    public string? If { get; init; }

    /// <summary>What undoes the step when a later step fails for good; null when nothing does.</summary>
    public WorkflowCompensationDefinition? Compensation { get; init; }

    /// <summary>
    /// Runs the step only when it returns true (otherwise the step is skipped); evaluated when the
    /// step's dependencies are done, over the run's parameters and the earlier outputs. Code only:
    /// not serialized, so a definition with conditions runs only where it was built.
    /// </summary>
    [JsonIgnore]
    public Func<StepContext, bool>? Condition { get; init; }

    /// <summary>
    /// Configures a class step's instance after it is activated and before it runs (the builder's
    /// <c>AddStep&lt;T&gt;(cfg =&gt; ...)</c>). Code only, not serialized.
    /// </summary>
    [JsonIgnore]
    public Action<IWorkflowStep>? Configure { get; init; }

    /// <summary>The class step's CLR type when the definition was built in code; not serialized.</summary>
    [JsonIgnore]
    public Type? StepClrType { get; init; }
}
