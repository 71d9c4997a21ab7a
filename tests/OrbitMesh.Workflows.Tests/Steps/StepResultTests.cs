namespace OrbitMesh.Workflows.Tests.Steps;

public sealed class StepResultTests
{
    [Fact]
    public void Success_SerializesTheOutputInCamelCase()
    {
        var result = StepResult.Success(new { ArtifactPath = "/tmp/app.zip" });

        Assert.True(result.IsSuccess);
        Assert.Equal(StepResultStatus.Succeeded, result.Status);
        Assert.Equal("/tmp/app.zip", result.Output!.Value.GetProperty("artifactPath").GetString());
        Assert.Null(result.Reason);
        Assert.False(result.IsRetryable);
    }

    [Fact]
    public void Success_WithoutOutput_HasNone()
    {
        Assert.Null(StepResult.Success().Output);
    }

    [Fact]
    public void Failed_CarriesTheReasonAndWhetherToRetry()
    {
        var transient = StepResult.Failed("disk busy");
        var permanent = StepResult.Failed("package signature invalid", retryable: false);

        Assert.Equal(StepResultStatus.Failed, transient.Status);
        Assert.Equal("disk busy", transient.Reason);
        Assert.True(transient.IsRetryable);
        Assert.False(permanent.IsRetryable);
        Assert.False(permanent.IsSuccess);
        Assert.Throws<ArgumentException>(() => StepResult.Failed(" "));
    }

    [Fact]
    public void Skipped_IsNeitherSuccessNorRetryable()
    {
        var result = StepResult.Skipped("already at version 2");

        Assert.Equal(StepResultStatus.Skipped, result.Status);
        Assert.Equal("already at version 2", result.Reason);
        Assert.False(result.IsSuccess);
        Assert.False(result.IsRetryable);
    }

    [Fact]
    public async Task SeedSteps_RunThroughTheContracts()
    {
        var context = new StepContext { RunId = "run_1", WorkflowName = "deploy-app", StepId = "validate-step" };

        var result = await new ValidateStep().ExecuteAsync(context, CancellationToken.None);
        var undo = await new RollbackStep().CompensateAsync(context, CancellationToken.None);

        Assert.Equal("validate-step", result.Output!.Value.GetProperty("step").GetString());
        Assert.True(undo.IsSuccess);
    }
}
