using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>The in-process <see cref="IWorkflowClient"/>: straight to the server's <see cref="WorkflowEngine"/>.</summary>
internal sealed class EngineWorkflowClient(WorkflowEngine engine, WorkflowRollout rollout) : IWorkflowClient
{
    public Task<bool> RegisterWorkflowAsync(WorkflowDefinition definition, CancellationToken cancellationToken = default) =>
        engine.RegisterAsync(definition, cancellationToken);

    public Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters = null, int? version = null, CancellationToken cancellationToken = default) =>
        engine.StartRunAsync(workflow, parameters, version, cancellationToken);

    public Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters, IReadOnlyDictionary<string, string>? secrets, int? version = null, CancellationToken cancellationToken = default) =>
        engine.StartRunAsync(workflow, parameters, secrets, version, cancellationToken);

    public Task<WorkflowRun> StartWorkflowAsync(WorkflowDefinition definition, JsonElement? parameters = null, CancellationToken cancellationToken = default) =>
        engine.StartRunAsync(definition, parameters, cancellationToken);

    public Task<WorkflowRun> WaitForWorkflowRunAsync(string runId, CancellationToken cancellationToken = default) =>
        engine.WaitForRunAsync(runId, cancellationToken);

    public Task<WorkflowRun?> GetWorkflowRunAsync(string runId, CancellationToken cancellationToken = default) =>
        engine.GetRunAsync(runId, cancellationToken);

    public Task<IReadOnlyList<WorkflowRunSummary>> ListWorkflowRunsAsync(WorkflowRunQuery query, CancellationToken cancellationToken = default) =>
        engine.ListRunsAsync(query, cancellationToken);

    public IAsyncEnumerable<WorkflowRunEvent> WatchWorkflowRunAsync(string runId, long afterSequence = 0, CancellationToken cancellationToken = default) =>
        engine.WatchRunAsync(runId, afterSequence, cancellationToken);

    public Task<WorkflowRun> PauseWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        engine.PauseRunAsync(runId, reason, cancellationToken);

    public Task<WorkflowRun> ResumeWorkflowRunAsync(string runId, CancellationToken cancellationToken = default) =>
        engine.ResumeRunAsync(runId, cancellationToken);

    public Task<WorkflowRun> CancelWorkflowRunAsync(string runId, bool compensate = false, string? reason = null, CancellationToken cancellationToken = default) =>
        engine.CancelRunAsync(runId, compensate, reason, cancellationToken);

    public Task<IReadOnlyList<WorkflowRun>> ExecuteWorkflowOnAllAsync(string workflow, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default) =>
        rollout.ExecuteOnAllAsync(workflow, parameters, target, cancellationToken);

    public Task<WorkflowRolloutResult> ExecuteWorkflowRollingAsync(string workflow, int batchPercent, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default) =>
        rollout.ExecuteRollingAsync(workflow, batchPercent, parameters, target, cancellationToken);

    public Task<WorkflowRun> RollBackWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        engine.RollBackRunAsync(runId, reason, cancellationToken);
}
