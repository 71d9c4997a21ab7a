using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Validation;

public sealed class WorkflowValidatorTests
{
    private static WorkflowStepDefinition Command(string id, params string[] dependsOn) =>
        new() { Id = id, Kind = WorkflowStepKind.Command, Command = "noop", DependsOn = dependsOn };

    private static WorkflowDefinition Workflow(params WorkflowStepDefinition[] steps) =>
        new() { Name = "wf", Steps = steps };

    [Fact]
    public void Validate_ValidDefinition_HasNoErrors()
    {
        var definition = Workflow(
            Command("a"),
            Command("b", "a"),
            new WorkflowStepDefinition { Id = "c", Kind = WorkflowStepKind.Class, StepType = "My.Step", DependsOn = ["a"] },
            new WorkflowStepDefinition { Id = "d", Kind = WorkflowStepKind.FanOut, Command = "collect", FanOutPolicy = FanOutFailurePolicy.IgnoreFailures, DependsOn = ["b", "c"] });

        Assert.Empty(WorkflowValidator.Validate(definition));
        WorkflowValidator.ThrowIfInvalid(definition);
    }

    [Fact]
    public void Validate_Null_IsAnError()
    {
        Assert.Single(WorkflowValidator.Validate(null));
    }

    [Fact]
    public void Validate_TwoStepCycle_NamesIt()
    {
        var errors = WorkflowValidator.Validate(Workflow(Command("a", "b"), Command("b", "a")));

        var error = Assert.Single(errors);
        Assert.Equal(WorkflowErrorCodes.Cycle, error.Code);
        Assert.Equal("a", error.StepId);
        Assert.Equal("The steps a -> b -> a form a cycle: each waits for the one before it, so none can start.", error.Message);
    }

    [Fact]
    public void Validate_SelfDependency_IsACycleOfOne()
    {
        var error = Assert.Single(WorkflowValidator.Validate(Workflow(Command("a"), Command("b", "a", "b"))));

        Assert.Equal(WorkflowErrorCodes.Cycle, error.Code);
        Assert.Equal("Step 'b' depends on itself (b -> b).", error.Message);
    }

    [Fact]
    public void Validate_CycleStartsAtTheFirstDeclaredStep_InExecutionOrder()
    {
        // y waits for x, x waits for z, z waits for y; named from y, the first declared: y -> z -> x -> y.
        var errors = WorkflowValidator.Validate(Workflow(Command("start"), Command("y", "x"), Command("x", "z", "start"), Command("z", "y")));

        var error = Assert.Single(errors);
        Assert.Contains("y -> z -> x -> y", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TwoSeparateCycles_ReportsBoth()
    {
        var errors = WorkflowValidator.Validate(Workflow(Command("a", "b"), Command("b", "a"), Command("c", "d"), Command("d", "c"), Command("e", "a")));

        Assert.Equal(2, errors.Count);
        Assert.Contains("a -> b -> a", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("c -> d -> c", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ManyCycles_ReportsAtMostTheLimit()
    {
        var steps = new List<WorkflowStepDefinition>();
        for (var i = 0; i < 50; i++)
        {
            steps.Add(Command($"a{i}", $"b{i}"));
            steps.Add(Command($"b{i}", $"a{i}"));
        }

        var errors = WorkflowValidator.Validate(Workflow([.. steps]));

        Assert.Equal(WorkflowLimits.MaxReportedCycles, errors.Count(error => error.Code == WorkflowErrorCodes.Cycle));
    }

    [Fact]
    public void Validate_LongChain_DoesNotOverflowAndFindsTheClosingCycle()
    {
        var steps = new List<WorkflowStepDefinition> { Command("s0", "s999") };
        for (var i = 1; i < 1000; i++)
        {
            steps.Add(Command($"s{i}", $"s{i - 1}"));
        }

        var error = Assert.Single(WorkflowValidator.Validate(Workflow([.. steps])));

        Assert.StartsWith("The steps s0 -> s1 -> s2 -> ", error.Message, StringComparison.Ordinal);
        Assert.Contains("s998 -> s999 -> s0 form a cycle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownAndEmptyDependencies_AreReported()
    {
        var errors = WorkflowValidator.Validate(Workflow(Command("a", "nope", ""), Command("b", "a")));

        Assert.Equal(2, errors.Count);
        Assert.All(errors, error => Assert.Equal(WorkflowErrorCodes.UnknownDependency, error.Code));
        Assert.Equal("Step 'a' depends on 'nope', which is not a step of the workflow.", errors[0].Message);
        Assert.Equal("Step 'a' has an empty entry in dependsOn.", errors[1].Message);
    }

    [Fact]
    public void Validate_DuplicateIds_ReportedOncePerId()
    {
        var errors = WorkflowValidator.Validate(Workflow(Command("a"), Command("a"), Command("b"), Command("a")));

        var error = Assert.Single(errors);
        Assert.Equal(WorkflowErrorCodes.DuplicateId, error.Code);
        Assert.Equal("Step id 'a' is used by 3 steps (#1, #2, #4); step ids must be unique.", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-lead")]
    [InlineData("has space")]
    [InlineData("ünicode")]
    [InlineData("slash/no")]
    public void Validate_InvalidStepId_IsReported(string id)
    {
        var error = Assert.Single(WorkflowValidator.Validate(Workflow(Command(id))));

        Assert.Equal(WorkflowErrorCodes.InvalidId, error.Code);
        Assert.StartsWith("Step #1 has an invalid id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_IdOfMaxLength_IsValid_OneMoreIsNot()
    {
        Assert.Empty(WorkflowValidator.Validate(Workflow(Command(new string('a', WorkflowLimits.MaxIdLength)))));
        Assert.Equal(WorkflowErrorCodes.InvalidId, Assert.Single(WorkflowValidator.Validate(Workflow(Command(new string('a', WorkflowLimits.MaxIdLength + 1))))).Code);
    }

    [Fact]
    public void Validate_WorkflowSettings_AreChecked()
    {
        var definition = Workflow(Command("a")) with
        {
            Name = "",
            Version = 0,
            MaxParallelism = 0,
            Timeout = TimeSpan.Zero,
        };

        var codes = WorkflowValidator.Validate(definition).Select(error => error.Code).ToList();

        Assert.Equal([WorkflowErrorCodes.InvalidName, WorkflowErrorCodes.InvalidSetting, WorkflowErrorCodes.InvalidSetting, WorkflowErrorCodes.InvalidTimeout], codes);
    }

    [Fact]
    public void Validate_TooManySteps_IsOverLimit()
    {
        var steps = Enumerable.Range(0, WorkflowLimits.MaxSteps + 1).Select(i => Command($"s{i}")).ToArray();

        var error = Assert.Single(WorkflowValidator.Validate(Workflow(steps)));

        Assert.Equal(WorkflowErrorCodes.OverLimit, error.Code);
        Assert.Equal("The workflow has 1,001 steps; at most 1,000 are allowed.", error.Message);
    }

    [Fact]
    public void Validate_ExactlyMaxSteps_IsValid()
    {
        var steps = Enumerable.Range(0, WorkflowLimits.MaxSteps).Select(i => Command($"s{i}", i == 0 ? [] : [$"s{i - 1}"])).ToArray();

        Assert.Empty(WorkflowValidator.Validate(Workflow(steps)));
    }

    [Fact]
    public void Validate_DefinitionOverOneMebibyte_IsOverLimit()
    {
        var big = JsonSerializer.SerializeToElement(new { blob = new string('x', WorkflowLimits.MaxDefinitionBytes) });
        var definition = Workflow(Command("a") with { Parameters = big });

        var error = Assert.Single(WorkflowValidator.Validate(definition));

        Assert.Equal(WorkflowErrorCodes.OverLimit, error.Code);
        Assert.Contains("at most 1,048,576 bytes (1 MiB)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_KindRequirements_AreChecked()
    {
        var errors = WorkflowValidator.Validate(Workflow(
            new WorkflowStepDefinition { Id = "no-command", Kind = WorkflowStepKind.Command },
            new WorkflowStepDefinition { Id = "no-type", Kind = WorkflowStepKind.Class },
            new WorkflowStepDefinition { Id = "both", Kind = WorkflowStepKind.Class, StepType = "T", Command = "c" },
            new WorkflowStepDefinition { Id = "typed-command", Kind = WorkflowStepKind.Command, Command = "c", StepType = "T" },
            new WorkflowStepDefinition { Id = "policy", Kind = WorkflowStepKind.Command, Command = "c", FanOutPolicy = FanOutFailurePolicy.AllowPartial },
            new WorkflowStepDefinition { Id = "fan", Kind = WorkflowStepKind.FanOut },
            new WorkflowStepDefinition { Id = "odd", Kind = (WorkflowStepKind)9 },
            new WorkflowStepDefinition { Id = "bad-command", Kind = WorkflowStepKind.Command, Command = "tab\there" }));

        Assert.Equal(
            [
                "Step 'no-command' is a command step without a command.",
                "Step 'no-type' is a class step without a stepType.",
                "Step 'both' is a class step but names a command; only command and fan-out steps do.",
                "Step 'typed-command' is a command step but names a stepType; only class steps do.",
                "Step 'policy' has a fanOutPolicy, which only fan-out steps take.",
                "Step 'fan' is a fan-out step without a command.",
                "Step 'odd' has an unknown kind 9; kinds are command, class and fanOut.",
                "Step 'bad-command' has an invalid command 'tab?here': commands are 1 to 128 characters without control characters.",
            ],
            errors.Select(error => error.Message));
        Assert.All(errors, error => Assert.NotNull(error.StepId));
    }

    [Fact]
    public void Validate_Targets_AreChecked()
    {
        var errors = WorkflowValidator.Validate(Workflow(
            Command("two") with { Target = new AgentTarget { AgentId = "a", Group = "g" } },
            Command("blank") with { Target = new AgentTarget { Capability = " " } },
            Command("fine") with { Target = AgentTarget.InGroup("web") },
            new WorkflowStepDefinition { Id = "server", Kind = WorkflowStepKind.Class, StepType = "T", Target = AgentTarget.ForAgent("a") }));

        Assert.Equal(3, errors.Count);
        Assert.All(errors, error => Assert.Equal(WorkflowErrorCodes.InvalidTarget, error.Code));
        Assert.Equal(["two", "blank", "server"], errors.Select(error => error.StepId));
    }

    [Fact]
    public void Validate_ParametersMustBeAnObject()
    {
        var errors = WorkflowValidator.Validate(Workflow(
            Command("array") with { Parameters = JsonSerializer.SerializeToElement(new[] { 1 }) },
            Command("object") with { Parameters = JsonSerializer.SerializeToElement(new { a = 1 }) },
            Command("text") with { Compensation = new() { Command = "undo", Parameters = JsonSerializer.SerializeToElement("x") } }));

        Assert.Equal(
            [
                "Step 'array' has parameters that are an array; parameters must be a JSON object.",
                "Step 'text''s compensation has parameters that are a string; parameters must be a JSON object.",
            ],
            errors.Select(error => error.Message));
    }

    [Fact]
    public void Validate_RetryAndTimeouts_AreChecked()
    {
        var errors = WorkflowValidator.Validate(Workflow(
            Command("attempts") with { Retry = new() { MaxAttempts = 0 } },
            Command("too-many") with { Retry = new() { MaxAttempts = WorkflowLimits.MaxAttempts + 1 } },
            Command("negative") with { Retry = new() { MaxAttempts = 2, InitialBackoff = TimeSpan.FromSeconds(-1) } },
            Command("inverted") with { Retry = new() { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMinutes(2), MaxBackoff = TimeSpan.FromMinutes(1) } },
            Command("zero-timeout") with { Timeout = TimeSpan.Zero },
            Command("long-timeout") with { Timeout = WorkflowLimits.MaxStepTimeout + TimeSpan.FromSeconds(1) },
            Command("comp-timeout") with { Compensation = new() { Command = "undo", Timeout = TimeSpan.FromSeconds(-5) } }));

        Assert.Equal(
            [
                WorkflowErrorCodes.InvalidRetry, WorkflowErrorCodes.InvalidRetry, WorkflowErrorCodes.InvalidRetry,
                WorkflowErrorCodes.InvalidRetry, WorkflowErrorCodes.InvalidTimeout, WorkflowErrorCodes.InvalidTimeout,
                WorkflowErrorCodes.InvalidTimeout,
            ],
            errors.Select(error => error.Code));
        Assert.Equal(["attempts", "too-many", "negative", "inverted", "zero-timeout", "long-timeout", "comp-timeout"], errors.Select(error => error.StepId));
    }

    [Fact]
    public void Validate_OnFailure_IsChecked()
    {
        var definition = Workflow(Command("a")) with { OnFailure = new() { Kind = WorkflowStepKind.Class } };

        var error = Assert.Single(WorkflowValidator.Validate(definition));

        Assert.Equal("The workflow's onFailure is a class step without a stepType.", error.Message);
        Assert.Null(error.StepId);
    }

    [Fact]
    public void Validate_NullStepsAndLists_AreReportedNotThrown()
    {
        var definition = new WorkflowDefinition
        {
            Name = "nulls",
            Steps = [null!, Command("a") with { DependsOn = null! }],
        };

        var error = Assert.Single(WorkflowValidator.Validate(definition));
        Assert.Equal("Step #1 is missing (null).", error.Message);

        Assert.Single(WorkflowValidator.Validate(new WorkflowDefinition { Name = "no-steps", Steps = null! }));
    }

    [Fact]
    public void ThrowIfInvalid_CarriesEveryError()
    {
        var definition = Workflow(Command("a", "x"), Command("a"));

        var error = Assert.Throws<WorkflowValidationException>(() => WorkflowValidator.ThrowIfInvalid(definition));

        Assert.Equal(2, error.Errors.Count);
        Assert.Equal("The workflow 'wf' is invalid (2 errors): Step id 'a' is used by 2 steps (#1, #2); step ids must be unique. Step 'a' depends on 'x', which is not a step of the workflow.", error.Message);
    }
}
