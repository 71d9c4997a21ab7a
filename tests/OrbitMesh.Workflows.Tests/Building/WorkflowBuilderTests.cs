using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Building;

public sealed class WorkflowBuilderTests
{
    [Fact]
    public void AddStep_Sequential_EachDependsOnThePrevious()
    {
        var workflow = new WorkflowBuilder("seq")
            .AddStep<ValidateStep>()
            .Then<BuildStep>()
            .Then<HealthCheckStep>("check")
            .Build();

        Assert.Equal(["validate-step", "build-step", "check"], workflow.Steps.Select(step => step.Id));
        Assert.Empty(workflow.Steps[0].DependsOn);
        Assert.Equal(["validate-step"], workflow.Steps[1].DependsOn);
        Assert.Equal(["build-step"], workflow.Steps[2].DependsOn);
    }

    [Fact]
    public void AddStep_SameTypeTwice_GetsNumberedIds()
    {
        var workflow = new WorkflowBuilder("twice")
            .AddStep<BuildStep>()
            .AddStep<BuildStep>()
            .AddStep<BuildStep>()
            .Build();

        Assert.Equal(["build-step", "build-step-2", "build-step-3"], workflow.Steps.Select(step => step.Id));
    }

    [Fact]
    public void Then_WithConfigure_KeepsTheActionForTheInstance()
    {
        var workflow = new WorkflowBuilder("cfg")
            .Then<DownloadPackage>("download", cfg => cfg.Version = "9")
            .Build();

        var step = new DownloadPackage();
        workflow.Steps[0].Configure!(step);
        Assert.Equal("9", step.Version);
        Assert.Equal(typeof(DownloadPackage), workflow.Steps[0].StepClrType);
    }

    [Fact]
    public void AddCommand_NeedsNoClass_AndCarriesParametersAndTarget()
    {
        var workflow = new WorkflowBuilder("cmd")
            .AddCommand("deploy", "app.install", new { Version = "1.2.3", Force = true }, AgentTarget.InGroup("web"))
            .WithTimeout(TimeSpan.FromMinutes(2))
            .Build();

        var step = Assert.Single(workflow.Steps);
        Assert.Equal(WorkflowStepKind.Command, step.Kind);
        Assert.Equal("app.install", step.Command);
        Assert.Equal("web", step.Target!.Group);
        Assert.Equal("1.2.3", step.Parameters!.Value.GetProperty("version").GetString());
        Assert.True(step.Parameters.Value.GetProperty("force").GetBoolean());
        Assert.Equal(TimeSpan.FromMinutes(2), step.Timeout);
        Assert.Null(step.StepType);
    }

    [Fact]
    public void OnAgent_SetsACapabilityTarget()
    {
        var workflow = new WorkflowBuilder("cap")
            .AddCommand("install", "app.install")
            .OnAgent("linux")
            .Build();

        Assert.Equal(AgentTarget.WithCapability("linux"), workflow.Steps[0].Target);
    }

    [Fact]
    public void AddFanOut_KeepsItsPolicy()
    {
        var workflow = new WorkflowBuilder("fan")
            .AddFanOut("collect", "metrics.collect", target: AgentTarget.InGroup("edge"), policy: FanOutFailurePolicy.AllowPartial)
            .Build();

        var step = workflow.Steps[0];
        Assert.Equal(WorkflowStepKind.FanOut, step.Kind);
        Assert.Equal(FanOutFailurePolicy.AllowPartial, step.FanOutPolicy);
    }

    [Fact]
    public void AddParallel_MultiStepBranches_NextStepWaitsForEachBranchTail()
    {
        var workflow = new WorkflowBuilder("par")
            .AddCommand("prepare", "prep")
            .AddParallel(
                branch => branch.AddCommand("a1", "x").AddCommand("a2", "x"),
                branch => branch.AddCommand("b1", "x"),
                branch => branch.AddCommand("c1", "x").AddParallel(
                    inner => inner.AddCommand("c2", "x"),
                    inner => inner.AddCommand("c3", "x")))
            .AddCommand("finish", "done")
            .Build();

        Assert.Equal(["prepare"], workflow.FindStep("a1")!.DependsOn);
        Assert.Equal(["a1"], workflow.FindStep("a2")!.DependsOn);
        Assert.Equal(["prepare"], workflow.FindStep("b1")!.DependsOn);
        Assert.Equal(["prepare"], workflow.FindStep("c1")!.DependsOn);
        Assert.Equal(["c1"], workflow.FindStep("c2")!.DependsOn);
        Assert.Equal(["c1"], workflow.FindStep("c3")!.DependsOn);
        Assert.Equal(["a2", "b1", "c2", "c3"], workflow.FindStep("finish")!.DependsOn);
    }

    [Fact]
    public void AddParallel_AtTheStart_BranchesAreRoots()
    {
        var workflow = new WorkflowBuilder("roots")
            .AddParallel(branch => branch.AddCommand("a", "x"), branch => branch.AddCommand("b", "x"))
            .AddCommand("c", "x")
            .Build();

        Assert.Empty(workflow.FindStep("a")!.DependsOn);
        Assert.Empty(workflow.FindStep("b")!.DependsOn);
        Assert.Equal(["a", "b"], workflow.FindStep("c")!.DependsOn);
    }

    [Fact]
    public void WaitAll_JoinsStepsWithExplicitDependencies()
    {
        var workflow = new WorkflowBuilder("join")
            .AddCommand("a", "x")
            .AddCommand("b", "x").DependsOn()
            .AddCommand("c", "x").DependsOn("a")
            .WaitAll()
            .AddCommand("d", "x")
            .Build();

        Assert.Empty(workflow.FindStep("b")!.DependsOn);
        Assert.Equal(["a"], workflow.FindStep("c")!.DependsOn);
        Assert.Equal(["b", "c"], workflow.FindStep("d")!.DependsOn);
    }

    [Fact]
    public void Modifiers_ApplyToTheLastStepOnly()
    {
        var policy = new WorkflowRetryPolicy { MaxAttempts = 5, InitialBackoff = TimeSpan.FromSeconds(2), MaxBackoff = TimeSpan.FromSeconds(30), Jitter = false };
        var workflow = new WorkflowBuilder("mods")
            .AddCommand("a", "x")
            .AddCommand("b", "x")
            .WithRetry(policy)
            .WithParameters(new { Answer = 42 })
            .OnTarget(AgentTarget.ForAgent("agent-7"))
            .WithCompensation("x.undo", new { All = true }, timeout: TimeSpan.FromSeconds(20))
            .When(context => context.RunId.Length > 0)
            .Build();

        var a = workflow.FindStep("a")!;
        Assert.Null(a.Retry);
        Assert.Null(a.Parameters);
        Assert.Null(a.Target);
        Assert.Null(a.Compensation);
        Assert.Null(a.Condition);

        var b = workflow.FindStep("b")!;
        Assert.Same(policy, b.Retry);
        Assert.Equal(42, b.Parameters!.Value.GetProperty("answer").GetInt32());
        Assert.Equal("agent-7", b.Target!.AgentId);
        Assert.Equal(WorkflowStepKind.Command, b.Compensation!.Kind);
        Assert.Equal("x.undo", b.Compensation.Command);
        Assert.Equal(TimeSpan.FromSeconds(20), b.Compensation.Timeout);
        Assert.True(b.Compensation.Parameters!.Value.GetProperty("all").GetBoolean());
        Assert.True(b.Condition!(new StepContext { RunId = "run_1", WorkflowName = "mods", StepId = "b" }));
    }

    [Fact]
    public void WithRetry_WithoutMaxBackoff_UsesTheDefaultOrTheInitialBackoffWhenLarger()
    {
        var workflow = new WorkflowBuilder("retry")
            .AddCommand("short", "x").WithRetry(3, TimeSpan.FromSeconds(10))
            .AddCommand("long", "x").WithRetry(2, TimeSpan.FromMinutes(10), jitter: false)
            .Build();

        Assert.Equal(WorkflowRetryPolicy.DefaultMaxBackoff, workflow.FindStep("short")!.Retry!.MaxBackoff);
        Assert.True(workflow.FindStep("short")!.Retry!.Jitter);
        Assert.Equal(TimeSpan.FromMinutes(10), workflow.FindStep("long")!.Retry!.MaxBackoff);
        Assert.False(workflow.FindStep("long")!.Retry!.Jitter);
    }

    [Fact]
    public void WorkflowSettings_AreKept()
    {
        var workflow = new WorkflowBuilder("settings")
            .WithVersion(3)
            .WithDescription("Deploys the app.")
            .WithWorkflowTimeout(TimeSpan.FromHours(1))
            .WithMaxParallelism(4)
            .AddCommand("a", "x")
            .OnFailure("app.alert", new { Channel = "ops" }, AgentTarget.WithCapability("notify"))
            .Build();

        Assert.Equal(3, workflow.Version);
        Assert.Equal("Deploys the app.", workflow.Description);
        Assert.Equal(TimeSpan.FromHours(1), workflow.Timeout);
        Assert.Equal(4, workflow.MaxParallelism);
        Assert.Equal("app.alert", workflow.OnFailure!.Command);
        Assert.Equal("notify", workflow.OnFailure.Target!.Capability);
        Assert.False(workflow.HasCodeOnlyMembers);
    }

    [Fact]
    public void Build_ReportsEveryErrorAtOnce()
    {
        var builder = new WorkflowBuilder("bad name")
            .WithRetry(3, TimeSpan.FromSeconds(1))
            .AddCommand("a", "x").DependsOn("c")
            .AddCommand("b", "x")
            .AddCommand("c", "x").DependsOn("b", "ghost")
            .AddCommand("b", "x")
            .AddParallel(branch => branch.AddCommand("p1", "x"), _ => { })
            .WithTimeout(TimeSpan.FromSeconds(5));

        var error = Assert.Throws<WorkflowValidationException>(builder.Build);

        var codes = error.Errors.Select(e => e.Code).ToList();
        Assert.Contains(WorkflowErrorCodes.InvalidName, codes);
        Assert.Contains(WorkflowErrorCodes.DuplicateId, codes);
        Assert.Contains(WorkflowErrorCodes.UnknownDependency, codes);
        Assert.Contains(WorkflowErrorCodes.Cycle, codes);
        Assert.Contains(WorkflowErrorCodes.EmptyBranch, codes);
        Assert.Equal(2, codes.Count(code => code == WorkflowErrorCodes.BuilderMisuse));
        Assert.Contains(error.Errors, e => e.Message == "WithRetry() must follow the step it modifies; it was called before any step.");
        Assert.Contains(error.Errors, e => e.Message.StartsWith("WithTimeout() must follow the step it modifies; it was called after AddParallel()", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message == "Branch 2 of 2 of AddParallel() after step 'b' adds no steps.");
        Assert.Contains(error.Errors, e => e.Code == WorkflowErrorCodes.Cycle && e.Message.Contains("a -> b -> c -> a", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Message == "Step 'c' depends on 'ghost', which is not a step of the workflow.");
        Assert.Equal(MeshErrorCodes.BadRequest, error.Code);
        Assert.StartsWith($"The workflow 'bad name' is invalid ({error.Errors.Count} errors): ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddParallel_WithoutBranches_IsAnError()
    {
        var builder = new WorkflowBuilder("empty").AddCommand("a", "x").AddParallel().AddCommand("b", "x");

        var error = Assert.Throws<WorkflowValidationException>(builder.Build);

        var only = Assert.Single(error.Errors);
        Assert.Equal(WorkflowErrorCodes.EmptyBranch, only.Code);
        Assert.Equal("AddParallel() after step 'a' has no branches; give at least one.", only.Message);
    }

    [Fact]
    public void Build_NoSteps_IsAnError()
    {
        var error = Assert.Throws<WorkflowValidationException>(new WorkflowBuilder("nothing").Build);

        Assert.Equal(WorkflowErrorCodes.InvalidStep, Assert.Single(error.Errors).Code);
    }

    [Fact]
    public void WorkflowSettings_InsideABranch_AreAnError()
    {
        var builder = new WorkflowBuilder("branchy")
            .AddParallel(branch => branch.AddCommand("a", "x").WithVersion(2), branch => branch.AddCommand("b", "x"));

        var error = Assert.Throws<WorkflowValidationException>(builder.Build);

        Assert.Equal(
            "WithVersion() applies to the whole workflow; call it on the workflow builder, not inside a parallel branch.",
            Assert.Single(error.Errors).Message);
    }

    [Fact]
    public void ClassStepWithATarget_IsRefused()
    {
        var builder = new WorkflowBuilder("server-side").AddStep<ValidateStep>().OnAgent("linux");

        var error = Assert.Throws<WorkflowValidationException>(builder.Build);

        Assert.Equal(WorkflowErrorCodes.InvalidTarget, Assert.Single(error.Errors).Code);
    }

    [Fact]
    public void Build_IsSingleUse()
    {
        var builder = new WorkflowBuilder("once").AddCommand("a", "x");
        builder.Build();

        Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Throws<InvalidOperationException>(() => builder.AddCommand("b", "x"));
        Assert.Throws<InvalidOperationException>(() => builder.WithTimeout(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Build_OnABranch_Throws()
    {
        var builder = new WorkflowBuilder("nested");

        Assert.Throws<InvalidOperationException>(() => builder.AddParallel(branch => branch.AddCommand("a", "x").Build()));
    }

    [Fact]
    public void Build_FailedValidation_StillEndsTheBuilder()
    {
        var builder = new WorkflowBuilder("x").AddCommand("a", "");
        Assert.Throws<WorkflowValidationException>(builder.Build);

        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    [Fact]
    public void Build_ResultSurvivesTheJsonFormat()
    {
        var workflow = new WorkflowBuilder("deploy")
            .AddCommand("install", "app.install", new { Version = "1" }, AgentTarget.WithCapability("web"))
            .WithRetry(3, TimeSpan.FromSeconds(10))
            .WithCompensation("app.uninstall")
            .Build();

        var back = WorkflowJson.Deserialize(WorkflowJson.Serialize(workflow));

        Assert.Empty(WorkflowValidator.Validate(back));
        Assert.Equal(WorkflowJson.Serialize(workflow), WorkflowJson.Serialize(back));
        Assert.Equal(JsonValueKind.Object, back.Steps[0].Parameters!.Value.ValueKind);
    }
}
