namespace OrbitMesh.Workflows;

/// <summary>
/// An expression does not parse, breaks a limit, names what it may not reach, or fails to evaluate.
/// The message says which and quotes the expression (shortened).
/// </summary>
public sealed class WorkflowExpressionException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public WorkflowExpressionException()
        : this("The expression is invalid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WorkflowExpressionException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public WorkflowExpressionException(string message, Exception? innerException)
        : base(WorkflowErrorCodes.InvalidExpression, message, innerException)
    {
    }
}
