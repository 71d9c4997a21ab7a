namespace OrbitMesh.Workflows;

/// <summary>
/// The name the application examples use for <see cref="WorkflowBuilder"/>:
/// <c>new MeshWorkflow("deploy-app").AddStep&lt;HealthCheck&gt;()...OnFailure&lt;Rollback&gt;().Build()</c>.
/// </summary>
public sealed class MeshWorkflow : WorkflowBuilder
{
    /// <summary>Starts a workflow named <paramref name="name"/>.</summary>
    public MeshWorkflow(string name)
        : base(name)
    {
    }
}
