using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Steps;

public sealed class StepContextTests
{
    private sealed record BuildOutput(string Artifact, int Size);

    private static StepContext Context(object? runParameters = null, object? stepParameters = null, Dictionary<string, JsonElement>? outputs = null) => new()
    {
        RunId = "run_1",
        WorkflowName = "deploy",
        StepId = "install",
        RunParameters = OrbitMeshJson.ToElement(runParameters),
        StepParameters = OrbitMeshJson.ToElement(stepParameters),
        Outputs = outputs ?? [],
    };

    [Fact]
    public void GetOutput_ReadsAnEarlierStepsOutput()
    {
        var output = StepResult.Success(new BuildOutput("app.zip", 42)).Output!.Value;
        var context = Context(outputs: new() { ["build"] = output });

        Assert.Equal(new BuildOutput("app.zip", 42), context.GetOutput<BuildOutput>("build"));
        Assert.True(context.TryGetOutput<BuildOutput>("build", out var read));
        Assert.Equal("app.zip", read.Artifact);
    }

    [Fact]
    public void GetOutput_MissingStep_NamesWhatThereIs()
    {
        var context = Context(outputs: new() { ["b"] = JsonSerializer.SerializeToElement(1), ["a"] = JsonSerializer.SerializeToElement(2) });

        var error = Assert.Throws<KeyNotFoundException>(() => context.GetOutput<int>("nope"));

        Assert.Equal("Step 'nope' has produced no output; completed steps with output: a, b.", error.Message);
        Assert.False(context.TryGetOutput<int>("nope", out _));
    }

    [Fact]
    public void TryGetParameter_StepParametersComeBeforeRunParameters()
    {
        var context = Context(runParameters: new { Version = "1.0", Region = "eu" }, stepParameters: new { Version = "2.0" });

        Assert.True(context.TryGetParameter<string>("version", out var version));
        Assert.Equal("2.0", version);
        Assert.True(context.TryGetParameter<string>("region", out var region));
        Assert.Equal("eu", region);
        Assert.False(context.TryGetParameter<string>("missing", out _));
        Assert.False(context.TryGetParameter<string>("Version", out _));
    }

    [Fact]
    public void Defaults_AreSafe()
    {
        var context = Context();

        Assert.Empty(context.Outputs);
        Assert.Equal(1, context.Attempt);
        Assert.Equal(1, context.WorkflowVersion);
        Assert.NotNull(context.Logger);
        Assert.False(context.TryGetParameter<string>("x", out _));
    }
}
