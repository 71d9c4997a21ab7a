namespace OrbitMesh.Workflows;

/// <summary>No workflow, version or run has the name or id asked for (REST: 404).</summary>
public sealed class WorkflowNotFoundException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowNotFoundException(string message)
        : base("not_found", message)
    {
    }
}

/// <summary>The run is not in a state that allows the operation, e.g. resuming a finished run (REST: 409).</summary>
public sealed class WorkflowRunStateException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowRunStateException(string message)
        : base("conflict", message)
    {
    }
}
