namespace OrbitMesh.Workflows;

/// <summary>
/// Undoes a completed step when a later step fails for good (the saga). Activated from dependency
/// injection on the server. The context's <see cref="StepContext.StepId"/> is the step being
/// compensated, and its output is among <see cref="StepContext.Outputs"/>.
/// </summary>
public interface ICompensationStep
{
    /// <summary>Undoes the effect of the step named by <see cref="StepContext.StepId"/>.</summary>
    /// <param name="context">The run's parameters, the outputs of the completed steps and a logger.</param>
    /// <param name="cancellationToken">Signalled when the compensation times out.</param>
    /// <returns>Success when undone, Skipped when there was nothing to undo, Failed otherwise.</returns>
    Task<StepResult> CompensateAsync(StepContext context, CancellationToken cancellationToken = default);
}
