namespace OrbitMesh.Workflows;

/// <summary>One problem with a workflow definition.</summary>
/// <param name="Code">A stable machine-readable code, see <see cref="WorkflowErrorCodes"/>.</param>
/// <param name="Message">What is wrong, in words, naming the step.</param>
/// <param name="StepId">The step concerned, or null for the workflow as a whole.</param>
public sealed record WorkflowValidationError(string Code, string Message, string? StepId = null)
{
    /// <summary>
    /// Where in the document the problem is, as a JSON Pointer (<c>/steps/2/kind</c>); null when the
    /// definition did not come from a document (<see cref="WorkflowDocument"/>).
    /// </summary>
    public string? Path { get; init; }

    /// <summary>The 1-based line in the document, or null when unknown.</summary>
    public int? Line { get; init; }

    /// <summary>The 1-based column in the document, or null when unknown.</summary>
    public int? Column { get; init; }

    /// <summary>The file the document was read from, or null.</summary>
    public string? File { get; init; }

    /// <inheritdoc />
    public override string ToString() => Line is { } line
        ? $"{File ?? "<definition>"}:{line}:{Column ?? 1}: {Message}"
        : Message;
}
