using System.Text;

namespace OrbitMesh.Workflows.Tests.Documents;

/// <summary>One model in two formats: YAML and JSON read to the same definition, with every error located.</summary>
public sealed class WorkflowDocumentTests
{
    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Serialization", name));

    private static WorkflowValidationException Refused(string text, string file = "deploy.yaml") =>
        Assert.Throws<WorkflowValidationException>(() => WorkflowDocument.Parse(text, file));

    [Fact]
    public void Yaml_AndJsonSamples_AreTheSameDefinition()
    {
        var fromYaml = WorkflowDocument.Parse(Sample("deploy-app.yaml"), "deploy-app.yaml");
        var fromJson = WorkflowDocument.Parse(Sample("deploy-app.json"), "deploy-app.json");

        Assert.Equal(WorkflowJson.Serialize(fromJson), WorkflowJson.Serialize(fromYaml));
        Assert.Equal(4, fromYaml.Steps.Count);
        Assert.Equal(TimeSpan.FromSeconds(10), fromYaml.FindStep("install")!.Retry!.InitialBackoff);
    }

    [Fact]
    public void BuilderDefinition_ExportedAndReimported_IsEqual_InBothFormats()
    {
        var definition = new WorkflowBuilder("deploy-app")
            .WithVersion(3)
            .WithDescription("A: colon, # a hash, and 'quotes'")
            .RequireParameters("version")
            .AddStep<ValidateStep>()
            .AddCommand("install", "app.install", new { version = "2.4.1", flag = "true", number = "1.0", nothing = "null", empty = "", count = 3, ratio = 0.25, on = true, list = new object[] { 1, "2", false } }, AgentTarget.WithCapability("web"))
            .WithRetry(3, TimeSpan.FromSeconds(10))
            .WithTimeout(TimeSpan.FromMinutes(5))
            .WithCompensation("app.uninstall", new { package = "shop" }, AgentTarget.WithCapability("web"))
            .AddParallel(
                branch => branch.AddStep<DeployToNodeA>(),
                branch => branch.AddFanOut("health", "app.health", target: AgentTarget.InGroup("web"), policy: FanOutFailurePolicy.AllowPartial))
            .AddStep<HealthCheckStep>()
            .WithCompensation<RollbackStep>()
            .OnFailure<Rollback>()
            .Build();

        foreach (var format in new[] { WorkflowDocumentFormat.Yaml, WorkflowDocumentFormat.Json })
        {
            var text = WorkflowDocument.Serialize(definition, format);
            var again = WorkflowDocument.Parse(text, format: format);
            Assert.Equal(WorkflowJson.Serialize(definition), WorkflowJson.Serialize(again));
        }
    }

    [Fact]
    public void Yaml_Export_QuotesStringsThatWouldReadAsOtherValues()
    {
        var definition = new WorkflowBuilder("w").AddCommand("a", "echo", new { flag = "true", version = "1.0", nothing = "~" }).Build();

        var yaml = WorkflowDocument.Serialize(definition, WorkflowDocumentFormat.Yaml);

        Assert.Contains("flag: \"true\"", yaml, StringComparison.Ordinal);
        Assert.Contains("version: \"1.0\"", yaml, StringComparison.Ordinal);
        Assert.Contains("nothing: \"~\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void SchemaErrors_AreAllListed_WithFileLineAndColumn()
    {
        var yaml = """
            name: deploy
            steps:
              - id: a
                command: echo
                dependOn: [b]
              - id: b
                command: echo
                timeout: 10s
              - id: c
                kind: shell
                command: echo
            """;

        var ex = Refused(yaml);

        Assert.Equal(3, ex.Errors.Count);
        Assert.All(ex.Errors, e => Assert.Equal(WorkflowErrorCodes.SchemaViolation, e.Code));
        Assert.All(ex.Errors, e => Assert.Equal("deploy.yaml", e.File));
        var unknown = Assert.Single(ex.Errors, e => e.Path == "/steps/0/dependOn");
        Assert.Equal((5, 15), (unknown.Line!.Value, unknown.Column!.Value));
        Assert.Contains("unknown property 'dependOn'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("a", unknown.StepId);
        var duration = Assert.Single(ex.Errors, e => e.Path == "/steps/1/timeout");
        Assert.Equal(8, duration.Line);
        Assert.Contains("'10s' is not a duration", duration.Message, StringComparison.Ordinal);
        var kind = Assert.Single(ex.Errors, e => e.Path == "/steps/2/kind");
        Assert.Equal(10, kind.Line);
        Assert.StartsWith("deploy.yaml:5:15: ", unknown.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GraphErrors_PointAtTheirStep()
    {
        var yaml = """
            name: deploy
            steps:
              - id: a
                command: echo
                dependsOn: [c]
              - id: b
                command: echo
                dependsOn: [b]
            """;

        var ex = Refused(yaml);

        var unknown = Assert.Single(ex.Errors, e => e.Code == WorkflowErrorCodes.UnknownDependency);
        Assert.Equal((3, 5), (unknown.Line!.Value, unknown.Column!.Value));
        var cycle = Assert.Single(ex.Errors, e => e.Code == WorkflowErrorCodes.Cycle);
        Assert.Equal(6, cycle.Line);
    }

    [Fact]
    public void Json_Errors_HaveLinesToo()
    {
        var json = "{\n  \"name\": \"w\",\n  \"steps\": [\n    { \"id\": \"a\", \"command\": \"echo\", \"retry\": { \"maxAttempts\": \"three\" } }\n  ]\n}";

        var ex = Refused(json, "w.json");

        var error = Assert.Single(ex.Errors);
        Assert.Equal("/steps/0/retry/maxAttempts", error.Path);
        Assert.Equal(4, error.Line);
        Assert.Equal(63, error.Column);
    }

    [Fact]
    public void MalformedJson_IsLocated()
    {
        var ex = Refused("{\n  \"name\": \"w\",\n  \"steps\": [ }\n}", "w.json");

        var error = Assert.Single(ex.Errors);
        Assert.Equal(WorkflowErrorCodes.InvalidJson, error.Code);
        Assert.Equal(3, error.Line);
    }

    [Theory]
    [InlineData("name: w\nsteps:\n  - id: a\n    command: [echo\n", WorkflowErrorCodes.InvalidYaml, 5)]
    [InlineData("name: w\nname: v\nsteps: []\n", WorkflowErrorCodes.InvalidYaml, 2)]
    [InlineData("name: w\nsteps:\n  - &s { id: a, command: echo }\n", WorkflowErrorCodes.InvalidYaml, 3)]
    [InlineData("name: w\nsteps:\n  - id: a\n    command: !!python/object echo\n", WorkflowErrorCodes.InvalidYaml, 4)]
    [InlineData("name: w\nsteps: [{ id: a, command: echo }]\n---\nname: v\n", WorkflowErrorCodes.InvalidYaml, 3)]
    [InlineData("", WorkflowErrorCodes.InvalidYaml, 1)]
    [InlineData("name: w\nsteps:\n  - id: a\n    command: echo\n    parameters: { x: .inf }\n", WorkflowErrorCodes.InvalidYaml, 5)]
    public void BadYaml_IsRefused_WithItsLine(string yaml, string code, int line)
    {
        var error = Assert.Single(Refused(yaml).Errors);

        Assert.Equal(code, error.Code);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void BillionLaughs_IsRefusedAtTheFirstAnchor_WithoutExpanding()
    {
        var yaml = new StringBuilder("name: w\nsteps: [{ id: a, command: echo }]\nlol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"lol{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var error = Assert.Single(Refused(yaml.ToString()).Errors);

        Assert.Equal(WorkflowErrorCodes.InvalidYaml, error.Code);
        Assert.Contains("Anchors", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        var deep = "name: w\nsteps: [{ id: a, command: echo, parameters: { x: " + new string('[', 100) + new string(']', 100) + " } }]\n";

        var error = Assert.Single(Refused(deep).Errors);

        Assert.Equal(WorkflowErrorCodes.OverLimit, error.Code);
    }

    [Fact]
    public void OverLongDocument_IsRefusedBeforeParsing()
    {
        var huge = "name: w\n# " + new string('x', WorkflowLimits.MaxDefinitionBytes) + "\n";

        var error = Assert.Single(Refused(huge).Errors);

        Assert.Equal(WorkflowErrorCodes.OverLimit, error.Code);
    }

    [Fact]
    public void WrongTypes_AreSchemaErrors()
    {
        var ex = Refused("name: w\nversion: two\nsteps:\n  - id: a\n    command: echo\n    parameters: [1, 2]\n");

        Assert.Equal(["/steps/0/parameters", "/version"], ex.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("w.json", "name: w", WorkflowDocumentFormat.Json)]
    [InlineData("w.yml", "{}", WorkflowDocumentFormat.Yaml)]
    [InlineData(null, "  {\"name\": 1}", WorkflowDocumentFormat.Json)]
    [InlineData(null, "name: w", WorkflowDocumentFormat.Yaml)]
    public void Format_ComesFromTheExtension_ThenTheContent(string? file, string text, WorkflowDocumentFormat expected) =>
        Assert.Equal(expected, WorkflowDocument.Detect(WorkflowDocumentFormat.Auto, file, Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Schema_IsTheDocsFile()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "OrbitMesh.slnx")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        Assert.Equal(File.ReadAllText(Path.Combine(root, "docs", "workflow.schema.json")), WorkflowSchema.SchemaText);
    }
}
