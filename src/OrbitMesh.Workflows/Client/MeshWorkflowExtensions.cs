namespace OrbitMesh.Workflows;

/// <summary>
/// The seed's workflow API on a mesh client: <c>mesh.ExecuteWorkflowAsync("deploy-app", parameters)</c>.
/// Works on any <see cref="IMeshClient"/> that is also an <see cref="IWorkflowClient"/> (the remote
/// <c>MeshHttpClient</c>); on the server, call the same methods on the injected <see cref="IWorkflowClient"/>.
/// </summary>
public static class MeshWorkflowExtensions
{
    /// <summary>Runs a registered workflow to its end and returns the run (check <see cref="WorkflowRun.Status"/>).</summary>
    public static Task<WorkflowRun> ExecuteWorkflowAsync(this IMeshClient mesh, string workflow, object? parameters = null, CancellationToken cancellationToken = default) =>
        Workflows(mesh).ExecuteWorkflowAsync(workflow, parameters, cancellationToken);

    /// <summary>
    /// Runs a registered workflow with secrets to its end: <c>mesh.ExecuteWorkflowAsync("deploy-app", parameters, secrets)</c>.
    /// Steps read a secret as <c>${{ secrets.NAME }}</c> in their parameters; see <see cref="IWorkflowClient.StartWorkflowAsync(string, System.Text.Json.JsonElement?, IReadOnlyDictionary{string, string}?, int?, CancellationToken)"/>.
    /// </summary>
    public static Task<WorkflowRun> ExecuteWorkflowAsync(this IMeshClient mesh, string workflow, object? parameters, IReadOnlyDictionary<string, string>? secrets, CancellationToken cancellationToken = default) =>
        Workflows(mesh).ExecuteWorkflowAsync(workflow, parameters, secrets, cancellationToken);

    /// <summary>Registers <paramref name="definition"/> when its version is new, runs it to its end and returns the run.</summary>
    public static Task<WorkflowRun> ExecuteWorkflowAsync(this IMeshClient mesh, WorkflowDefinition definition, object? parameters = null, CancellationToken cancellationToken = default) =>
        Workflows(mesh).ExecuteWorkflowAsync(definition, parameters, cancellationToken);

    /// <summary>Starts a run of a registered workflow and returns at once.</summary>
    public static Task<WorkflowRun> StartWorkflowAsync(this IMeshClient mesh, string workflow, object? parameters = null, CancellationToken cancellationToken = default) =>
        Workflows(mesh).StartWorkflowAsync(workflow, OrbitMeshJson.ToElement(parameters), null, cancellationToken);

    /// <summary>Runs a registered workflow to its end.</summary>
    public static async Task<WorkflowRun> ExecuteWorkflowAsync(this IWorkflowClient workflows, string workflow, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var run = await workflows.StartWorkflowAsync(workflow, OrbitMeshJson.ToElement(parameters), null, cancellationToken).ConfigureAwait(false);
        return await workflows.WaitForWorkflowRunAsync(run.RunId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a registered workflow with secrets (read as <c>${{ secrets.NAME }}</c> by its steps) to its end.</summary>
    public static async Task<WorkflowRun> ExecuteWorkflowAsync(this IWorkflowClient workflows, string workflow, object? parameters, IReadOnlyDictionary<string, string>? secrets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var run = await workflows.StartWorkflowAsync(workflow, OrbitMeshJson.ToElement(parameters), secrets, null, cancellationToken).ConfigureAwait(false);
        return await workflows.WaitForWorkflowRunAsync(run.RunId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Registers (when new) and runs a definition to its end.</summary>
    public static async Task<WorkflowRun> ExecuteWorkflowAsync(this IWorkflowClient workflows, WorkflowDefinition definition, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workflows);
        var run = await workflows.StartWorkflowAsync(definition, OrbitMeshJson.ToElement(parameters), cancellationToken).ConfigureAwait(false);
        return await workflows.WaitForWorkflowRunAsync(run.RunId, cancellationToken).ConfigureAwait(false);
    }

    private static IWorkflowClient Workflows(IMeshClient mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh as IWorkflowClient ?? throw new NotSupportedException(
            $"{mesh.GetType().Name} does not run workflows. Remotely, use MeshHttpClient; on the server, inject IWorkflowClient (registered by AddOrbitMeshWorkflows()).");
    }
}
