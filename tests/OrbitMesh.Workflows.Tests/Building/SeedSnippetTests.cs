namespace OrbitMesh.Workflows.Tests.Building;

/// <summary>The seeds' own snippets compile and build as written.</summary>
public sealed class SeedSnippetTests
{
    [Fact]
    public void Phase4Snippet_BuildsTheDeployDag()
    {
        // As written in the roadmap seed, Phase 4's success criteria.
        var workflow = new WorkflowBuilder("deploy-app")
            .AddStep<ValidateStep>()
            .AddStep<BuildStep>()
            .WithRetry(3, TimeSpan.FromSeconds(10))
            .AddParallel(
                branch => branch.AddStep<DeployToNodeA>(),
                branch => branch.AddStep<DeployToNodeB>())
            .AddStep<HealthCheckStep>()
            .WithCompensation<RollbackStep>()
            .Build();

        Assert.Equal("deploy-app", workflow.Name);
        Assert.Equal(1, workflow.Version);
        Assert.Equal(
            ["validate-step", "build-step", "deploy-to-node-a", "deploy-to-node-b", "health-check-step"],
            workflow.Steps.Select(step => step.Id));
        Assert.All(workflow.Steps, step => Assert.Equal(WorkflowStepKind.Class, step.Kind));

        Assert.Empty(workflow.FindStep("validate-step")!.DependsOn);
        Assert.Equal(["validate-step"], workflow.FindStep("build-step")!.DependsOn);
        Assert.Equal(["build-step"], workflow.FindStep("deploy-to-node-a")!.DependsOn);
        Assert.Equal(["build-step"], workflow.FindStep("deploy-to-node-b")!.DependsOn);
        Assert.Equal(["deploy-to-node-a", "deploy-to-node-b"], workflow.FindStep("health-check-step")!.DependsOn);

        var build = workflow.FindStep("build-step")!;
        Assert.Equal(3, build.Retry!.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(10), build.Retry.InitialBackoff);
        Assert.Null(workflow.FindStep("validate-step")!.Retry);

        var health = workflow.FindStep("health-check-step")!;
        Assert.Equal(WorkflowStepKind.Class, health.Compensation!.Kind);
        Assert.Equal(typeof(RollbackStep).FullName, health.Compensation.StepType);
        Assert.Equal(typeof(RollbackStep), health.Compensation.StepClrType);
        Assert.Equal(typeof(HealthCheckStep).FullName, health.StepType);
    }

    [Fact]
    public void AppDeployerSnippet_BuildsASequenceWithAConfiguredStepAndAFailureHandler()
    {
        var version = "2.4.1";

        // As written in the applications seed (App Deployment System).
        var workflow = new MeshWorkflow("deploy-app")
            .AddStep<HealthCheck>()
            .AddStep<StopService>()
            .AddStep<DownloadPackage>(cfg => cfg.Version = version)
            .AddStep<ExtractAndInstall>()
            .AddStep<StartService>()
            .AddStep<VerifyHealth>()
            .OnFailure<Rollback>()
            .Build();

        string[] expected = ["health-check", "stop-service", "download-package", "extract-and-install", "start-service", "verify-health"];
        Assert.Equal(expected, workflow.Steps.Select(step => step.Id));
        for (var i = 1; i < expected.Length; i++)
        {
            Assert.Equal([expected[i - 1]], workflow.Steps[i].DependsOn);
        }

        var download = workflow.FindStep("download-package")!;
        var instance = new DownloadPackage();
        download.Configure!(instance);
        Assert.Equal("2.4.1", instance.Version);
        Assert.Null(workflow.FindStep("health-check")!.Configure);
        Assert.True(workflow.HasCodeOnlyMembers);

        Assert.Equal(WorkflowStepKind.Class, workflow.OnFailure!.Kind);
        Assert.Equal(typeof(Rollback).FullName, workflow.OnFailure.StepType);
    }
}
