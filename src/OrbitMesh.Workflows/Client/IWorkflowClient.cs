using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// The workflow API level: register definitions, run workflows and steer their runs. On the server,
/// inject it (<c>AddOrbitMeshWorkflows()</c> registers it over the engine); remotely,
/// <c>MeshHttpClient</c> implements it over the REST API. The <see cref="IMeshClient"/> extension
/// methods in <see cref="MeshWorkflowExtensions"/> reach it from either client.
/// </summary>
public interface IWorkflowClient
{
    /// <summary>Registers a definition version; false when that version was already registered with the same content.</summary>
    Task<bool> RegisterWorkflowAsync(WorkflowDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Starts a run of a registered workflow (its latest version, or <paramref name="version"/>) and returns at once.</summary>
    Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters = null, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a run with secrets: text values its steps read as <c>${{ secrets.NAME }}</c> in their
    /// parameters. The server stores them encrypted, shows only their names, and gives each only to the
    /// jobs of the steps that read it (as secret parameters). Every secret must be read by a step, and
    /// every secret a step reads must be given.
    /// </summary>
    Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters, IReadOnlyDictionary<string, string>? secrets, int? version = null, CancellationToken cancellationToken = default);

    /// <summary>Registers <paramref name="definition"/> when its version is new, then starts a run of it.</summary>
    Task<WorkflowRun> StartWorkflowAsync(WorkflowDefinition definition, JsonElement? parameters = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until a run ends and returns it.</summary>
    Task<WorkflowRun> WaitForWorkflowRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>A run with each step's state, or null.</summary>
    Task<WorkflowRun?> GetWorkflowRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first.</summary>
    Task<IReadOnlyList<WorkflowRunSummary>> ListWorkflowRunsAsync(WorkflowRunQuery query, CancellationToken cancellationToken = default);

    /// <summary>A run's events after <paramref name="afterSequence"/>, recorded then live, ending with <c>run.finished</c>.</summary>
    IAsyncEnumerable<WorkflowRunEvent> WatchWorkflowRunAsync(string runId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>Pauses a run: no new step starts; running steps finish.</summary>
    Task<WorkflowRun> PauseWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused run.</summary>
    Task<WorkflowRun> ResumeWorkflowRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Cancels a run; with <paramref name="compensate"/> its completed steps are undone in reverse order.</summary>
    Task<WorkflowRun> CancelWorkflowRunAsync(string runId, bool compensate = false, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Runs one instance of a registered workflow per Ready agent matching <paramref name="target"/>, concurrently; each instance's steps without a target run on its agent.</summary>
    Task<IReadOnlyList<WorkflowRun>> ExecuteWorkflowOnAllAsync(string workflow, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default);

    /// <summary>Runs one instance per matching agent in batches of <paramref name="batchPercent"/> %; a failed batch stops the rollout and rolls back the instances done.</summary>
    Task<WorkflowRolloutResult> ExecuteWorkflowRollingAsync(string workflow, int batchPercent, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default);

    /// <summary>Rolls back a succeeded run: its completed steps are compensated in reverse order; it ends rolledBack.</summary>
    Task<WorkflowRun> RollBackWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default);
}
