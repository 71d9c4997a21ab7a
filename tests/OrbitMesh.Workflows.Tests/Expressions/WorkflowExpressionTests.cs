using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Expressions;

/// <summary>The expression language: what it reads, what it computes, and what it refuses.</summary>
public sealed class WorkflowExpressionTests
{
    private static readonly ExpressionScope Scope = new()
    {
        Parameters = JsonSerializer.SerializeToElement(new { version = "2.4.1", replicas = 3, canary = true, tags = new[] { "web", "eu" } }),
        Outputs = new Dictionary<string, JsonElement>
        {
            ["build"] = JsonSerializer.SerializeToElement(new { path = "/out/app.tgz", size = 1234, checks = new { passed = true } }),
            ["deploy-a"] = JsonSerializer.SerializeToElement(new { host = "a.local" }),
        },
        Statuses = new Dictionary<string, string> { ["build"] = "succeeded", ["lint"] = "skipped" },
        RunId = "run-1",
        Workflow = "ship",
        Version = 2,
    };

    private static object? Eval(string text) => WorkflowExpression.Parse(text).Evaluate(Scope);

    [Theory]
    [InlineData("params.version", "2.4.1")]
    [InlineData("steps.build.output.path", "/out/app.tgz")]
    [InlineData("steps['deploy-a'].output.host", "a.local")]
    [InlineData("params.tags[1]", "eu")]
    [InlineData("steps.build.status", "succeeded")]
    [InlineData("run.workflow", "ship")]
    [InlineData("upper(params.tags[0])", "WEB")]
    [InlineData("concat('v', params.version, '-', params.replicas)", "v2.4.1-3")]
    [InlineData("if(params.canary, 'canary', 'full')", "canary")]
    [InlineData("coalesce(params.missing, 'fallback')", "fallback")]
    [InlineData("string(steps.build.output.size)", "1234")]
    [InlineData("'a' + 'b'", "ab")]
    public void Names_AndFunctions_GiveTheirValues(string text, string expected) => Assert.Equal(expected, Eval(text));

    [Theory]
    [InlineData("params.replicas > 2 and params.canary", true)]
    [InlineData("steps.build.output.checks.passed == true", true)]
    [InlineData("steps.lint.status == 'skipped'", true)]
    [InlineData("params.missing == null", true)]
    [InlineData("isNull(steps.nothing.output)", true)]
    [InlineData("contains(params.tags, 'eu')", true)]
    [InlineData("contains(params.version, '.4.')", true)]
    [InlineData("startsWith(steps.build.output.path, '/out')", true)]
    [InlineData("length(params.tags) == 2", true)]
    [InlineData("in(params.version, '1.0', '2.4.1')", true)]
    [InlineData("${{ params.replicas * 2 == 6 }}", true)]
    [InlineData("not params.canary", false)]
    [InlineData("params.missing", false)]
    public void Conditions_AreTrueOrFalse(string text, bool expected) =>
        Assert.Equal(expected, WorkflowExpression.Parse(text).EvaluateCondition(Scope));

    [Theory]
    [InlineData("System.IO.File.ReadAllText('/etc/passwd')", "calls a member")]
    [InlineData("params.version.GetType()", "calls a member")]
    [InlineData("GetType()", "unknown function 'GetType'")]
    [InlineData("Process.Start('sh')", "calls a member")]
    [InlineData("typeof(string)", "unknown function 'typeof'")]
    [InlineData("Activator.CreateInstance('x')", "calls a member")]
    [InlineData("Environment.GetEnvironmentVariable('HOME')", "calls a member")]
    [InlineData("DateTime.Now", "unknown name 'DateTime'")]
    [InlineData("#2026-01-01#", "date literal")]
    [InlineData("[secret]", "outside a name")]
    [InlineData("{secret}", "outside a name")]
    [InlineData("while (true) { }", "outside a name")]
    [InlineData("for(;;)", "does not parse")]
    [InlineData("1 +", "does not parse")]
    [InlineData("'unterminated", "unterminated string")]
    [InlineData("", "is empty")]
    [InlineData("steps.build", "steps.ID.output")]
    [InlineData("run.secret", "the run has id")]
    [InlineData("1 / 0", "overflow")]
    [InlineData("params.version + 1", "failed")]
    public void Escapes_AndNonsense_AreRefusedWithAClearError(string text, string expected)
    {
        var ex = Assert.Throws<WorkflowExpressionException>(() => Eval(text));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(WorkflowErrorCodes.InvalidExpression, ex.Code);
    }

    [Fact]
    public void DeepNesting_IsRefusedBeforeParsing()
    {
        var deep = new string('(', 10_000) + "1" + new string(')', 10_000);
        var ex = Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse(deep));
        Assert.Contains("characters long", ex.Message, StringComparison.Ordinal);

        var nested = new string('(', 40) + "1" + new string(')', 40);
        Assert.Contains("nests deeper", Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse(nested)).Message, StringComparison.Ordinal);

        var negations = string.Concat(Enumerable.Repeat("not !", 20)) + "true";
        Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse(negations));
        Assert.Contains("nests deeper", Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse(new string('-', 40) + "1")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StringReads_AreBounded_SoConcatenationCannotGrowWithoutLimit()
    {
        var big = new string('x', 100_000);
        var scope = new ExpressionScope { Parameters = JsonSerializer.SerializeToElement(new { big }) };

        var ex = Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse("params.big + params.big + params.big").Evaluate(scope));

        Assert.Contains("characters of strings", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACondition_ThatIsNotBoolean_IsAnError()
    {
        var ex = Assert.Throws<WorkflowExpressionException>(() => WorkflowExpression.Parse("params.version").EvaluateCondition(Scope));

        Assert.Contains("not true or false", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_WholeValuesKeepTheirType_EmbeddedOnesBecomeText()
    {
        var parameters = JsonSerializer.SerializeToElement(new
        {
            artifact = "${{ steps.build.output.path }}",
            size = "${{ steps.build.output.size }}",
            checks = "${{ steps.build.output.checks }}",
            label = "app-${{ params.version }} x${{ params.replicas }}",
            literal = "$${{ not a template }}",
            nested = new[] { "${{ params.canary }}" },
            plain = "no templates",
        });

        var rendered = ExpressionTemplate.Render(parameters, Scope)!.Value;

        Assert.Equal("/out/app.tgz", rendered.GetProperty("artifact").GetString());
        Assert.Equal(1234, rendered.GetProperty("size").GetInt32());
        Assert.True(rendered.GetProperty("checks").GetProperty("passed").GetBoolean());
        Assert.Equal("app-2.4.1 x3", rendered.GetProperty("label").GetString());
        Assert.Equal("${{ not a template }}", rendered.GetProperty("literal").GetString());
        Assert.True(rendered.GetProperty("nested")[0].GetBoolean());
        Assert.Equal("no templates", rendered.GetProperty("plain").GetString());
    }

    [Fact]
    public void Templates_ThatFail_NameTheParameter()
    {
        var parameters = JsonSerializer.SerializeToElement(new { deploy = new { target = "${{ 1 / 0 }}" } });

        var ex = Assert.Throws<WorkflowExpressionException>(() => ExpressionTemplate.Render(parameters, Scope));

        Assert.StartsWith("In parameters.deploy.target:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Templates_FindSkipsBracesInsideQuotes_AndRefusesUnclosedOnes()
    {
        var found = ExpressionTemplate.Find(JsonSerializer.SerializeToElement(new { a = "${{ concat('}}', params.version) }}" }));
        Assert.Equal("concat('}}', params.version)", Assert.Single(found).Expression);

        Assert.Throws<WorkflowExpressionException>(() => ExpressionTemplate.Find(JsonSerializer.SerializeToElement(new { a = "${{ params.x" })));
    }
}
