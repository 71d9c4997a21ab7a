using System.Globalization;
using System.Text;
using System.Text.Json;
using OrbitMesh.Workflows;

namespace OrbitMesh.Client;

/// <summary>The workflow API level over REST (<c>/api/workflows</c>, <c>/api/workflow-runs</c>).</summary>
public sealed partial class MeshHttpClient
{
    /// <inheritdoc />
    public async Task<bool> RegisterWorkflowAsync(WorkflowDefinition definition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/workflows")
        {
            Content = new StringContent(WorkflowJson.Serialize(definition), Encoding.UTF8, "application/json"),
        };
        using var response = await WorkflowCallAsync(request, cancellationToken).ConfigureAwait(false);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
        return body.RootElement.GetProperty("created").GetBoolean();
    }

    /// <inheritdoc />
    public async Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters = null, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflow);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(workflow)}/runs")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { parameters, version }, OrbitMeshJson.Options), Encoding.UTF8, "application/json"),
        };
        return await ReadRunAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<WorkflowRun> StartWorkflowAsync(string workflow, JsonElement? parameters, IReadOnlyDictionary<string, string>? secrets, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflow);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(workflow)}/runs")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { parameters, secrets, version }, OrbitMeshJson.Options), Encoding.UTF8, "application/json"),
        };
        return await ReadRunAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<WorkflowRun> StartWorkflowAsync(WorkflowDefinition definition, JsonElement? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.HasCodeOnlyMembers)
        {
            throw new NotSupportedException($"Workflow '{definition.Name}' has conditions or configure actions in code, which cannot travel to a remote server; register it on the server (AddWorkflow) and start it by name.");
        }

        await RegisterWorkflowAsync(definition, cancellationToken).ConfigureAwait(false);
        return await StartWorkflowAsync(definition.Name, parameters, definition.Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a registered workflow to its end and returns the run (check <see cref="WorkflowRun.Status"/>): the
    /// seed's <c>mesh.ExecuteWorkflowAsync("deploy-app", parameters)</c>. An instance method, because this
    /// client is both an <see cref="IMeshClient"/> and an <see cref="IWorkflowClient"/>, and the extension
    /// methods on each would be ambiguous on a <see cref="MeshHttpClient"/> variable.
    /// </summary>
    public Task<WorkflowRun> ExecuteWorkflowAsync(string workflow, object? parameters = null, CancellationToken cancellationToken = default) =>
        MeshWorkflowExtensions.ExecuteWorkflowAsync((IWorkflowClient)this, workflow, parameters, cancellationToken);

    /// <summary>Runs a registered workflow with secrets (read by its steps as <c>${{ secrets.NAME }}</c>) to its end and returns the run.</summary>
    public Task<WorkflowRun> ExecuteWorkflowAsync(string workflow, object? parameters, IReadOnlyDictionary<string, string>? secrets, CancellationToken cancellationToken = default) =>
        MeshWorkflowExtensions.ExecuteWorkflowAsync((IWorkflowClient)this, workflow, parameters, secrets, cancellationToken);

    /// <summary>Registers <paramref name="definition"/> when its version is new, runs it to its end and returns the run.</summary>
    public Task<WorkflowRun> ExecuteWorkflowAsync(WorkflowDefinition definition, object? parameters = null, CancellationToken cancellationToken = default) =>
        MeshWorkflowExtensions.ExecuteWorkflowAsync((IWorkflowClient)this, definition, parameters, cancellationToken);

    /// <inheritdoc />
    public async Task<WorkflowRun> WaitForWorkflowRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await foreach (var _ in WatchWorkflowRunAsync(runId, 0, cancellationToken).ConfigureAwait(false))
        {
        }

        return await GetWorkflowRunAsync(runId, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkflowNotFoundException($"No workflow run has the id '{runId}'.");
    }

    /// <inheritdoc />
    public Task<WorkflowRun?> GetWorkflowRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return GetOrNullAsync<WorkflowRun>("api/workflow-runs/" + Uri.EscapeDataString(runId), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WorkflowRunSummary>> ListWorkflowRunsAsync(WorkflowRunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var path = new StringBuilder("api/workflow-runs?limit=").Append(query.Limit.ToString(CultureInfo.InvariantCulture));
        if (query.Workflow is { } workflow)
        {
            path.Append("&workflow=").Append(Uri.EscapeDataString(workflow));
        }

        if (query.Status is { } status)
        {
            path.Append("&status=").Append(WorkflowStatusNames.Of(status));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, path.ToString());
        using var response = await WorkflowCallAsync(request, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<List<WorkflowRunSummary>>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), OrbitMeshJson.Options) ?? [];
    }

    /// <inheritdoc />
    /// <remarks>A dropped connection is resumed with <c>Last-Event-ID</c>: no event is missed or repeated.</remarks>
    public IAsyncEnumerable<WorkflowRunEvent> WatchWorkflowRunAsync(string runId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        return ResumableEventsAsync<WorkflowRunEvent>(
            $"api/workflow-runs/{Uri.EscapeDataString(runId)}/events", afterSequence, e => e.Sequence, e => e.Type == WorkflowRunEventTypes.RunFinished,
            $"workflow run '{runId}'", "run", (request, ct) => WorkflowCallAsync(request, ct, HttpCompletionOption.ResponseHeadersRead), cancellationToken);
    }

    /// <inheritdoc />
    public Task<WorkflowRun> PauseWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        ControlWorkflowRunAsync(runId, "pause", new { reason }, cancellationToken);

    /// <inheritdoc />
    public Task<WorkflowRun> ResumeWorkflowRunAsync(string runId, CancellationToken cancellationToken = default) =>
        ControlWorkflowRunAsync(runId, "resume", new { }, cancellationToken);

    /// <inheritdoc />
    public Task<WorkflowRun> CancelWorkflowRunAsync(string runId, bool compensate = false, string? reason = null, CancellationToken cancellationToken = default) =>
        ControlWorkflowRunAsync(runId, "cancel", new { compensate, reason }, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The call lasts as long as the runs; it is not bounded by <see cref="MeshClientOptions.RequestTimeout"/>.</remarks>
    public async Task<IReadOnlyList<WorkflowRun>> ExecuteWorkflowOnAllAsync(string workflow, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflow);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(workflow)}/all")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { parameters, target }, OrbitMeshJson.Options), Encoding.UTF8, "application/json"),
        };
        using var response = await WorkflowCallAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return JsonSerializer.Deserialize<List<WorkflowRun>>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), OrbitMeshJson.Options) ?? [];
    }

    /// <inheritdoc />
    /// <remarks>The call lasts as long as the rollout; it is not bounded by <see cref="MeshClientOptions.RequestTimeout"/>.</remarks>
    public async Task<WorkflowRolloutResult> ExecuteWorkflowRollingAsync(string workflow, int batchPercent, JsonElement? parameters = null, AgentTarget? target = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflow);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/workflows/{Uri.EscapeDataString(workflow)}/rolling")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { parameters, target, batchPercent }, OrbitMeshJson.Options), Encoding.UTF8, "application/json"),
        };
        using var response = await WorkflowCallAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return JsonSerializer.Deserialize<WorkflowRolloutResult>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), OrbitMeshJson.Options)
            ?? throw new OrbitMeshException(MeshErrorCodes.Internal, "The server answered the rollout with an empty body.");
    }

    /// <inheritdoc />
    public Task<WorkflowRun> RollBackWorkflowRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default) =>
        ControlWorkflowRunAsync(runId, "rollback", new { reason }, cancellationToken);

    private async Task<WorkflowRun> ControlWorkflowRunAsync(string runId, string verb, object body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runId);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/workflow-runs/{Uri.EscapeDataString(runId)}/{verb}")
        {
            Content = new StringContent(JsonSerializer.Serialize(body, OrbitMeshJson.Options), Encoding.UTF8, "application/json"),
        };
        return await ReadRunAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WorkflowRun> ReadRunAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await WorkflowCallAsync(request, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<WorkflowRun>(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), OrbitMeshJson.Options)
            ?? throw new OrbitMeshException(MeshErrorCodes.Internal, $"The server answered {request.RequestUri} with an empty body.");
    }

    /// <summary>Sends a workflow API call; 404 and 409 become the exceptions the in-process engine throws.</summary>
    private async Task<HttpResponseMessage> WorkflowCallAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (MeshInvocationException ex) when (ex.Error.Code == "not_found")
        {
            throw new WorkflowNotFoundException(ex.Error.Message);
        }
        catch (MeshInvocationException ex) when (ex.Error.Code == "conflict")
        {
            throw new WorkflowRunStateException(ex.Error.Message);
        }
        catch (MeshInvocationException ex) when (ex.Error.Code == "workflow_version_conflict")
        {
            throw new WorkflowVersionConflictException(ex.Error.Message);
        }
    }
}
