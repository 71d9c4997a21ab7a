using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// One agent's part of a fan-out step's output, which is a list of these: a later step reads it as
/// <c>context.GetOutput&lt;IReadOnlyList&lt;FanOutAgentResult&gt;&gt;("step-id")</c> (a class step that
/// aggregates what every agent returned), or in expressions as <c>steps.ID.output[0].result</c>.
/// </summary>
/// <param name="AgentId">The agent the job ran on.</param>
/// <param name="Status">How its job ended.</param>
/// <param name="JobId">The job.</param>
/// <param name="Result">The handler's result, when the job completed.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record FanOutAgentResult(string AgentId, JobStatus Status, string JobId, JsonElement? Result, string? Error);
