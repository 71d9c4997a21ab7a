namespace OrbitMesh.Workflows;

/// <summary>
/// A workflow definition is invalid; <see cref="Errors"/> lists every problem found, not only the
/// first. Thrown by <see cref="WorkflowBuilder.Build"/>, <see cref="WorkflowValidator.ThrowIfInvalid"/>
/// and <see cref="WorkflowJson"/>. Its <see cref="OrbitMeshException.Code"/> is
/// <see cref="MeshErrorCodes.BadRequest"/>.
/// </summary>
public sealed class WorkflowValidationException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowValidationException()
        : this("The workflow definition is invalid.")
    {
    }

    /// <summary>Creates the exception with one problem.</summary>
    public WorkflowValidationException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with one problem and its cause.</summary>
    public WorkflowValidationException(string message, Exception? innerException)
        : base(MeshErrorCodes.BadRequest, message, innerException)
    {
        Errors = [new WorkflowValidationError(MeshErrorCodes.BadRequest, message)];
    }

    /// <summary>Creates the exception from every problem found.</summary>
    /// <param name="workflowName">The workflow's name, for the message; may be empty.</param>
    /// <param name="errors">Every problem; at least one.</param>
    /// <param name="innerException">The cause, when there is one (a JSON error).</param>
    public WorkflowValidationException(string? workflowName, IReadOnlyList<WorkflowValidationError> errors, Exception? innerException = null)
        : base(MeshErrorCodes.BadRequest, Format(workflowName, errors), innerException)
    {
        Errors = errors ?? [];
    }

    /// <summary>Every problem found, in the order they were found.</summary>
    public IReadOnlyList<WorkflowValidationError> Errors { get; }

    private static string Format(string? workflowName, IReadOnlyList<WorkflowValidationError>? errors)
    {
        var count = errors?.Count ?? 0;
        var subject = string.IsNullOrWhiteSpace(workflowName) ? "The workflow" : $"The workflow '{workflowName}'";
        var noun = count == 1 ? "error" : "errors";
        return count == 0
            ? $"{subject} is invalid."
            : $"{subject} is invalid ({count} {noun}): " + string.Join(" ", errors!.Select(error => error.Message));
    }
}
