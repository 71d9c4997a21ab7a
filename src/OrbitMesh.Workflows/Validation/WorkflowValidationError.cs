namespace OrbitMesh.Workflows;

/// <summary>One problem with a workflow definition.</summary>
/// <param name="Code">A stable machine-readable code, see <see cref="WorkflowErrorCodes"/>.</param>
/// <param name="Message">What is wrong, in words, naming the step.</param>
/// <param name="StepId">The step concerned, or null for the workflow as a whole.</param>
public sealed record WorkflowValidationError(string Code, string Message, string? StepId = null)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
