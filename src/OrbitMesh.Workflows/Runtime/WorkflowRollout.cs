using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>
/// A workflow run once per agent: all at once (<see cref="ExecuteOnAllAsync"/>), or in batches that stop
/// and roll back at the first failure (<see cref="ExecuteRollingAsync"/>, like Nomad's <c>auto_revert</c>).
/// Each instance is an ordinary run bound to its agent: its steps and compensations without a target
/// of their own run there, and its parameters carry <c>agentId</c>.
/// </summary>
public sealed partial class WorkflowRollout(WorkflowEngine engine, IMeshClient mesh, ILogger<WorkflowRollout> logger)
{
    /// <summary>Runs one instance per Ready agent matching <paramref name="target"/> (null: every Ready agent), concurrently, and reports each.</summary>
    public async Task<IReadOnlyList<WorkflowRun>> ExecuteOnAllAsync(string workflow, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default)
    {
        var definition = await DefinitionAsync(workflow, cancellationToken).ConfigureAwait(false);
        var agents = await AgentsAsync(target, cancellationToken).ConfigureAwait(false);
        var runs = await Task.WhenAll(agents.Select(agent => RunOnAsync(definition, parameters, agent, cancellationToken))).ConfigureAwait(false);
        return runs;
    }

    /// <summary>
    /// Runs one instance per matching Ready agent (sorted by id) in batches of <paramref name="batchPercent"/>
    /// percent (at least one agent). A batch with a failed instance stops the rollout: the instances that
    /// succeeded, in this batch and the earlier ones, are rolled back (their compensations run in
    /// reverse order), newest first; the agents not reached are reported as skipped.
    /// </summary>
    public async Task<WorkflowRolloutResult> ExecuteRollingAsync(string workflow, int batchPercent, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchPercent, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchPercent, 100);
        var definition = await DefinitionAsync(workflow, cancellationToken).ConfigureAwait(false);
        var agents = await AgentsAsync(target, cancellationToken).ConfigureAwait(false);
        var size = Math.Max(1, (int)Math.Ceiling(agents.Count * batchPercent / 100.0));
        var batches = new List<IReadOnlyList<WorkflowRun>>();
        for (var start = 0; start < agents.Count; start += size)
        {
            var batch = agents.Skip(start).Take(size).ToList();
            var runs = await Task.WhenAll(batch.Select(agent => RunOnAsync(definition, parameters, agent, cancellationToken))).ConfigureAwait(false);
            batches.Add(runs);
            if (runs.Any(run => run.Status != WorkflowRunStatus.Succeeded))
            {
                var failed = runs.First(run => run.Status != WorkflowRunStatus.Succeeded);
                Log.RolloutStopped(logger, workflow, batches.Count, failed.BoundAgent ?? "?", failed.Reason ?? "failed");
                var rolledBack = await RollBackAsync(batches, $"the rollout stopped: the instance on {failed.BoundAgent} ended {failed.Status}", cancellationToken).ConfigureAwait(false);
                return new WorkflowRolloutResult
                {
                    Workflow = workflow,
                    BatchSize = size,
                    Batches = batches,
                    Completed = false,
                    FailedRunId = failed.RunId,
                    RolledBack = rolledBack,
                    SkippedAgents = [.. agents.Skip(start + size)],
                };
            }
        }

        return new WorkflowRolloutResult { Workflow = workflow, BatchSize = size, Batches = batches, Completed = true };
    }

    private async Task<IReadOnlyList<WorkflowRun>> RollBackAsync(List<IReadOnlyList<WorkflowRun>> batches, string reason, CancellationToken cancellationToken)
    {
        var rolledBack = new List<WorkflowRun>();
        foreach (var batch in Enumerable.Reverse(batches))
        {
            var succeeded = batch.Where(run => run.Status == WorkflowRunStatus.Succeeded).ToList();
            foreach (var run in succeeded)
            {
                await engine.RollBackRunAsync(run.RunId, reason, cancellationToken).ConfigureAwait(false);
            }

            rolledBack.AddRange(await Task.WhenAll(succeeded.Select(run => engine.WaitForRunAsync(run.RunId, cancellationToken))).ConfigureAwait(false));
        }

        return rolledBack;
    }

    private async Task<WorkflowRun> RunOnAsync(WorkflowDefinition definition, JsonElement? parameters, string agent, CancellationToken cancellationToken)
    {
        var bound = StepExecutor.MergeParameters(parameters, OrbitMeshJson.ToElement(new { agentId = agent }));
        var run = await engine.StartBoundRunAsync(definition, bound, agent, cancellationToken).ConfigureAwait(false);
        return await engine.WaitForRunAsync(run.RunId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WorkflowDefinition> DefinitionAsync(string workflow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        return await engine.Definitions.GetAsync(workflow, null, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"No workflow named '{workflow}' is registered; register it first.");
    }

    private async Task<List<string>> AgentsAsync(AgentTarget? target, CancellationToken cancellationToken)
    {
        var agents = await mesh.GetAgentsAsync(cancellationToken).ConfigureAwait(false);
        var matching = agents
            .Where(a => a.Status == AgentStatus.Ready)
            .Where(a => target is null || target.Matches(a))
            .Select(a => a.Id)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (matching.Count == 0)
        {
            throw new WorkflowNotFoundException($"No Ready agent matches {target?.ToString() ?? "any agent"}; nothing to run the workflow on.");
        }

        return matching;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Rollout of {Workflow} stopped in batch {Batch}: the instance on {Agent} failed ({Reason}); rolling back the instances already done")]
        public static partial void RolloutStopped(ILogger logger, string workflow, int batch, string agent, string reason);
    }
}

/// <summary>What a rolling run did: the instances by batch, whether it went through, and what it rolled back.</summary>
public sealed record WorkflowRolloutResult
{
    /// <summary>The workflow.</summary>
    public required string Workflow { get; init; }

    /// <summary>Agents per batch.</summary>
    public int BatchSize { get; init; }

    /// <summary>The instances run, batch by batch, as they ended (before any rollback).</summary>
    public IReadOnlyList<IReadOnlyList<WorkflowRun>> Batches { get; init; } = [];

    /// <summary>True when every batch succeeded.</summary>
    public bool Completed { get; init; }

    /// <summary>The first failed instance, when the rollout stopped.</summary>
    public string? FailedRunId { get; init; }

    /// <summary>The instances rolled back after the stop, as they ended (rolledBack, or compensationFailed).</summary>
    public IReadOnlyList<WorkflowRun> RolledBack { get; init; } = [];

    /// <summary>Agents the rollout never reached.</summary>
    public IReadOnlyList<string> SkippedAgents { get; init; } = [];
}
