namespace OrbitMesh.Workflows.Tests.Serialization;

/// <summary>docs/workflows.md shows the checked-in sample and the limits as they are.</summary>
public sealed class WorkflowDocsTests
{
    private static string Docs()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OrbitMesh.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository root (OrbitMesh.slnx) is not above the test directory.");
        }

        return File.ReadAllText(Path.Combine(root, "docs", "workflows.md"));
    }

    [Fact]
    public void Docs_JsonSample_IsTheCheckedInSample()
    {
        var docs = Docs();
        var start = docs.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        var end = docs.IndexOf("```", start, StringComparison.Ordinal);
        var sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serialization", "deploy-app.json"));

        Assert.Equal(sample, docs[start..end]);
        Assert.Empty(WorkflowValidator.Validate(WorkflowJson.Deserialize(docs[start..end])));
    }

    [Fact]
    public void Docs_YamlSample_IsTheCheckedInSample_AndValid()
    {
        var docs = Docs();
        var start = docs.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var end = docs.IndexOf("```", start, StringComparison.Ordinal);
        var sample = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serialization", "release.yaml"));

        Assert.Equal(sample, docs[start..end]);
        var definition = WorkflowDocument.Parse(sample, "release.yaml");
        Assert.Equal([WorkflowStepKind.Class, WorkflowStepKind.Command, WorkflowStepKind.Command, WorkflowStepKind.FanOut], definition.Steps.Select(s => s.Kind));
        Assert.NotNull(definition.FindStep("install")!.If);
    }

    [Fact]
    public void Docs_ExpressionLimits_MatchTheConstants()
    {
        var docs = Docs();

        Assert.Contains($"| length | {WorkflowExpressionLimits.MaxLength:N0} characters |", docs, StringComparison.Ordinal);
        Assert.Contains($"| {WorkflowExpressionLimits.MaxDepth} levels |", docs, StringComparison.Ordinal);
        Assert.Contains($"| names read | {WorkflowExpressionLimits.MaxNames} |", docs, StringComparison.Ordinal);
        Assert.Contains($"| {WorkflowExpressionLimits.MaxStringCharactersRead:N0} |", docs, StringComparison.Ordinal);
        Assert.Contains($"| {WorkflowExpressionLimits.MaxRenderedLength:N0} characters |", docs, StringComparison.Ordinal);
        Assert.Contains($"| templates per step | {WorkflowExpressionLimits.MaxTemplatesPerStep} |", docs, StringComparison.Ordinal);
        Assert.Contains($"| {WorkflowExpressionLimits.MaxEvaluationTime.TotalMilliseconds} ms,", docs, StringComparison.Ordinal);
        Assert.Contains($"seed {Expressions.ExpressionFuzzTests.Seed}", docs, StringComparison.Ordinal);
        Assert.Contains($"{Expressions.ExpressionFuzzTests.Cases:N0} generated", docs, StringComparison.Ordinal);
    }

    [Fact]
    public void Docs_LimitsTable_MatchesTheConstants()
    {
        var docs = Docs();

        Assert.Contains($"| steps per definition | {WorkflowLimits.MaxSteps:N0} |", docs, StringComparison.Ordinal);
        Assert.Contains($"1 MiB ({WorkflowLimits.MaxDefinitionBytes:N0} bytes)", docs, StringComparison.Ordinal);
        Assert.Contains($"| name and id length | {WorkflowLimits.MaxIdLength} characters |", docs, StringComparison.Ordinal);
        Assert.Contains($"| attempts per step | {WorkflowLimits.MaxAttempts} |", docs, StringComparison.Ordinal);
        Assert.Contains($"| cycles reported per validation | {WorkflowLimits.MaxReportedCycles} ", docs, StringComparison.Ordinal);
        Assert.Contains($"| max parallelism | {WorkflowLimits.MaxParallelism:N0} |", docs, StringComparison.Ordinal);
    }
}
