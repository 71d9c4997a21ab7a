namespace OrbitMesh.Workflows.Tests;

/// <summary>A step that succeeds with its own id as output; the base of the seeds' example steps.</summary>
public abstract class RecordingStep : IWorkflowStep
{
    public Task<StepResult> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(StepResult.Success(new { step = context.StepId }));
}

/// <summary>A compensation that succeeds.</summary>
public abstract class RecordingCompensation : ICompensationStep
{
    public Task<StepResult> CompensateAsync(StepContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(StepResult.Success());
}

// Phase 4 of the roadmap seed.
public sealed class ValidateStep : RecordingStep;
public sealed class BuildStep : RecordingStep;
public sealed class DeployToNodeA : RecordingStep;
public sealed class DeployToNodeB : RecordingStep;
public sealed class HealthCheckStep : RecordingStep;
public sealed class RollbackStep : RecordingCompensation;

// The app-deployment example of the applications seed.
public sealed class HealthCheck : RecordingStep;
public sealed class StopService : RecordingStep;
public sealed class ExtractAndInstall : RecordingStep;
public sealed class StartService : RecordingStep;
public sealed class VerifyHealth : RecordingStep;
public sealed class Rollback : RecordingCompensation;

public sealed class DownloadPackage : RecordingStep
{
    public string? Version { get; set; }
}
