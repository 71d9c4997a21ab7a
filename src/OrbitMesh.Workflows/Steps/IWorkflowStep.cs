namespace OrbitMesh.Workflows;

/// <summary>
/// A step that runs on the server, activated from dependency injection for each attempt. Return
/// <see cref="StepResult.Success(object?)"/>, <see cref="StepResult.Failed(string, bool)"/> or
/// <see cref="StepResult.Skipped(string?)"/>; an exception counts as a retryable failure.
/// </summary>
public interface IWorkflowStep
{
    /// <summary>Runs one attempt of the step.</summary>
    /// <param name="context">The run's parameters, the outputs of earlier steps and a logger.</param>
    /// <param name="cancellationToken">Signalled when the attempt times out or the run is cancelled.</param>
    Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default);
}
