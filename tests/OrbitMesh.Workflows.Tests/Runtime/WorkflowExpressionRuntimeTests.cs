using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>Conditions and templates at run time: evaluated over the run's parameters and the outputs recorded so far.</summary>
public sealed class WorkflowExpressionRuntimeTests
{
    private const string Yaml = """
        name: ship
        steps:
          - id: build
            command: app.build
          - id: deploy
            command: app.deploy
            dependsOn: [build]
            if: ${{ steps.build.output.ok && params.env == 'prod' }}
            parameters:
              artifact: ${{ steps.build.output.path }}
              size: ${{ steps.build.output.size }}
              label: "${{ params.env }}-${{ run.workflow }}"
          - id: notify
            command: app.notify
            dependsOn: [build]
            if: params.env == 'test'
          - id: report
            command: app.report
            dependsOn: [deploy, notify]
            parameters:
              deployed: ${{ steps.deploy.status }}
              notified: ${{ steps.notify.status }}
        """;

    [Fact]
    public async Task YamlConditions_SkipOrRun_AndTemplatesCarryEarlierOutputs()
    {
        var mesh = new FakeMesh();
        mesh.Handle("app.build", _ => new { ok = true, path = "/out/app.tgz", size = 42 });
        mesh.Succeed("app.deploy", "app.notify", "app.report");
        await using var host = await EngineHost.StartAsync(mesh);

        var run = await host.RunAsync(WorkflowDocument.Parse(Yaml, "ship.yaml"), new { env = "prod" });

        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.Equal(["app.build", "app.deploy", "app.report"], mesh.Commands);
        Assert.Equal(WorkflowStepStatus.Skipped, run.Steps.Single(s => s.StepId == "notify").Status);
        var deploy = mesh.Ran.Single(r => r.Command == "app.deploy").Parameters!.Value;
        Assert.Equal("/out/app.tgz", deploy.GetProperty("artifact").GetString());
        Assert.Equal(42, deploy.GetProperty("size").GetInt32());
        Assert.Equal("prod-ship", deploy.GetProperty("label").GetString());
        var report = mesh.Ran.Single(r => r.Command == "app.report").Parameters!.Value;
        Assert.Equal("succeeded", report.GetProperty("deployed").GetString());
        Assert.Equal("skipped", report.GetProperty("notified").GetString());
    }

    [Fact]
    public async Task AFailingTemplate_FailsTheStepWithoutRetrying_AndTheSagaRuns()
    {
        var mesh = new FakeMesh();
        mesh.Succeed("app.build", "undo.build");
        await using var host = await EngineHost.StartAsync(mesh);
        var definition = new WorkflowBuilder("broken")
            .AddCommand("build", "app.build").WithCompensation("undo.build")
            .AddCommand("deploy", "app.deploy", new { replicas = "${{ params.replicas / 0 }}" }).WithRetry(5, TimeSpan.FromMilliseconds(5))
            .Build();

        var run = await host.RunAsync(definition, new { replicas = 3 });

        Assert.Equal(WorkflowRunStatus.Failed, run.Status);
        var deploy = run.Steps.Single(s => s.StepId == "deploy");
        Assert.Equal(1, deploy.Attempts);
        Assert.Contains("In parameters.replicas", deploy.Error, StringComparison.Ordinal);
        Assert.Equal(["app.build", "undo.build"], mesh.Commands);
    }

    [Fact]
    public void Validator_ChecksEveryExpression_AndWhatItMayRead()
    {
        static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);
        var definition = new WorkflowDefinition
        {
            Name = "checked",
            Steps =
            [
                new() { Id = "a", Command = "x", Parameters = Json(new { v = "${{ steps.b.output.v }}" }) },
                new() { Id = "b", Command = "x", DependsOn = ["a"], If = "steps.ghost.status == 'succeeded'" },
                new() { Id = "c", Command = "x", DependsOn = ["b"], Parameters = Json(new { v = "${{ 1 + }}", w = "${{ env.key }}" }) },
                new()
                {
                    Id = "d", Command = "x", DependsOn = ["c"], If = "System.IO.File.Exists('/etc/passwd')",
                    Compensation = new() { Command = "undo", Parameters = Json(new { own = "${{ steps.d.output }}", earlier = "${{ steps.a.output }}" }) },
                },
            ],
        };

        var errors = WorkflowValidator.Validate(definition);

        Assert.All(errors, e => Assert.Equal(WorkflowErrorCodes.InvalidExpression, e.Code));
        Assert.Contains(errors, e => e.StepId == "a" && e.Message.Contains("does not depend on", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "b" && e.Message.Contains("'ghost', which is not a step", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "c" && e.Message.Contains("does not parse", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "c" && e.Message.Contains("unknown name 'env'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StepId == "d" && e.Message.Contains("calls a member", StringComparison.Ordinal));
        Assert.Equal(5, errors.Count);
    }

    [Fact]
    public void AnIf_RoundTripsThroughJson_AndIsNotCodeOnly()
    {
        var definition = new WorkflowBuilder("w").AddCommand("a", "x").If("params.go").Build();

        var again = WorkflowJson.Deserialize(WorkflowJson.Serialize(definition));

        Assert.Equal("params.go", again.Steps[0].If);
        Assert.False(definition.HasCodeOnlyMembers);
        Assert.Contains("\"if\":\"params.go\"", WorkflowJson.Serialize(definition), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(WorkflowJson.Serialize(definition)).RootElement.ValueKind);
    }
}
