using System.Text.Json;
using BenchmarkDotNet.Attributes;
using OrbitMesh.Workflows;

namespace OrbitMesh.MicroBench;

/// <summary>
/// What a workflow expression costs per step: a step's <c>if</c> as the runner evaluates it (parsed
/// and evaluated each time), the evaluation alone, and rendering a step's three-template parameters;
/// against the same condition written in C# over the same JSON (the baseline).
/// </summary>
[MemoryDiagnoser]
public class ExpressionBenchmarks
{
    private const string Condition = "steps.build.output.ok and params.replicas > 2 and params.env == 'prod'";
    private ExpressionScope _scope = null!;
    private WorkflowExpression _parsed = null!;
    private JsonElement _parameters;

    [GlobalSetup]
    public void Setup()
    {
        _scope = new ExpressionScope
        {
            Parameters = JsonSerializer.SerializeToElement(new { replicas = 3, env = "prod", version = "2.4.1" }),
            Outputs = new Dictionary<string, JsonElement> { ["build"] = JsonSerializer.SerializeToElement(new { ok = true, path = "/out/app.tgz", size = 42 }) },
            Statuses = new Dictionary<string, string> { ["build"] = "succeeded" },
            RunId = "run-1",
            Workflow = "ship",
            Version = 1,
        };
        _parsed = WorkflowExpression.Parse(Condition);
        _parameters = JsonSerializer.SerializeToElement(new { artifact = "${{ steps.build.output.path }}", size = "${{ steps.build.output.size }}", label = "${{ params.env }}-${{ params.version }}", fixedValue = 7 });
    }

    [Benchmark(Baseline = true, Description = "condition in C#")]
    public bool CodeCondition() =>
        _scope.Outputs["build"].GetProperty("ok").GetBoolean()
        && _scope.Parameters!.Value.GetProperty("replicas").GetInt32() > 2
        && _scope.Parameters.Value.GetProperty("env").GetString() == "prod";

    [Benchmark(Description = "if: parse + evaluate (per step, as run)")]
    public bool ParseAndEvaluate() => WorkflowExpression.Parse(Condition).EvaluateCondition(_scope);

    [Benchmark(Description = "if: evaluate a parsed expression")]
    public bool EvaluateParsed() => _parsed.EvaluateCondition(_scope);

    [Benchmark(Description = "render 4 parameters, 4 templates")]
    public JsonElement? RenderTemplates() => ExpressionTemplate.Render(_parameters, _scope);
}
