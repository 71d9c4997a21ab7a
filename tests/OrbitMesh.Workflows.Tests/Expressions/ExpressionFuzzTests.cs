using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrbitMesh.Workflows.Tests.Expressions;

/// <summary>
/// Generated and mutated expressions (seeded, so a failure names a case that replays): each one
/// evaluates or is refused with <see cref="WorkflowExpressionException"/>; nothing else escapes, and
/// none runs long.
/// </summary>
public sealed class ExpressionFuzzTests(ITestOutputHelper output)
{
    public const int Seed = 20261207;
    public const int Cases = 10_000;

    private static readonly string[] Corpus =
    [
        "params.replicas > 2 and params.canary",
        "steps.build.output.path",
        "concat('v', params.version, '-', params.replicas)",
        "if(steps.build.status == 'succeeded', length(params.tags), 0)",
        "contains(params.tags, 'eu') or not params.canary",
        "steps['deploy-a'].output.host == 'a.local'",
        "Pow(params.replicas, 3) / 2 + Abs(-1.5)",
        "in(params.version, '1.0', '2.4.1') ? 'known' : 'new'",
        "System.IO.File.ReadAllText('/etc/passwd')",
        "params.version.GetType().Assembly",
        "((((((1))))))",
        "'a' + 'b' + upper(trim(' c '))",
    ];

    private static readonly string[] Tokens =
    [
        "params.version", "params.replicas", "params.canary", "params.tags", "params.tags[0]", "params.nothing", "steps.build.output",
        "steps.build.output.size", "steps.build.status", "steps['deploy-a'].output.host", "run.id", "run.version", "null", "true", "false",
        "0", "1", "-1", "2147483647", "9223372036854775807", "1e308", "0.5", "'x'", "''", "'\\''", "\"q\"", "+", "-", "*", "/", "%", "==",
        "!=", "<", ">", "<=", ">=", "and", "or", "not", "!", "&&", "||", "?", ":", ",", "(", ")", "[", "]", "{", "}", "#", ".", "&", "|",
        "^", "~", "<<", ">>", "length(", "concat(", "contains(", "if(", "in(", "Pow(", "Max(", "string(", "upper(", "GetType(", "Process.Start(",
        "typeof(", "DateTime.Now", "System.IO", "\u0000", "\n", "\u202e", "é", "${{", "}}",
    ];

    [Fact]
    public void GeneratedAndMutatedExpressions_EvaluateOrAreRefused_AndNeverHang()
    {
        var random = new Random(Seed);
        var scope = new ExpressionScope
        {
            Parameters = JsonSerializer.SerializeToElement(new { version = "2.4.1", replicas = 3, canary = true, tags = new[] { "web", "eu" } }),
            Outputs = new Dictionary<string, JsonElement>
            {
                ["build"] = JsonSerializer.SerializeToElement(new { path = "/out", size = 12 }),
                ["deploy-a"] = JsonSerializer.SerializeToElement(new { host = "a.local" }),
            },
            Statuses = new Dictionary<string, string> { ["build"] = "succeeded" },
            RunId = "run-1",
        };
        var evaluated = 0;
        var refused = 0;
        var slowest = TimeSpan.Zero;
        var slowestCase = -1;
        for (var i = 0; i < Cases; i++)
        {
            var text = i % 2 == 0 ? Generate(random) : Mutate(random, Corpus[random.Next(Corpus.Length)]);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var expression = WorkflowExpression.Parse(text);
                _ = i % 3 == 0 ? expression.EvaluateCondition(scope) : expression.Evaluate(scope);
                evaluated++;
            }
            catch (WorkflowExpressionException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                refused++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Case {i} (seed {Seed}) escaped with {ex.GetType().Name}: {ex.Message}\nExpression: {text}");
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed > slowest)
            {
                slowest = elapsed;
                slowestCase = i;
            }

            Assert.True(elapsed < TimeSpan.FromSeconds(1), $"Case {i} (seed {Seed}) took {elapsed.TotalMilliseconds:F0} ms: {text}");
        }

        output.WriteLine($"{Cases} cases, seed {Seed}: {evaluated} evaluated, {refused} refused, slowest {slowest.TotalMilliseconds:F1} ms (case {slowestCase}).");
        Assert.Equal(Cases, evaluated + refused);
        Assert.True(evaluated > Cases / 20, $"Only {evaluated} of {Cases} cases evaluated: the generator is not exercising the evaluator.");
        Assert.True(refused > Cases / 20, $"Only {refused} of {Cases} cases were refused: the generator is not exercising the refusals.");
    }

    [Fact]
    public void MutatedTemplates_RenderOrAreRefused()
    {
        var random = new Random(Seed + 1);
        for (var i = 0; i < 2_000; i++)
        {
            var text = Mutate(random, "app-${{ params.version }}-${{ concat('}}', run.id) }}");
            try
            {
                ExpressionTemplate.Render(JsonSerializer.SerializeToElement(new { value = text }), new ExpressionScope { RunId = "r" });
            }
            catch (WorkflowExpressionException)
            {
            }
            catch (Exception ex)
            {
                Assert.Fail($"Template case {i} (seed {Seed + 1}) escaped with {ex.GetType().Name}: {ex.Message}\nTemplate: {text}");
            }
        }
    }

    private static readonly string[] Names = ["params.version", "params.replicas", "params.canary", "params.tags", "params.tags[1]", "params.nothing", "steps.build.output.size", "steps.build.output.path", "steps.build.status", "steps['deploy-a'].output.host", "run.id", "null"];
    private static readonly string[] Literals = ["0", "1", "3", "-2", "0.5", "'web'", "'2.4.1'", "''", "true", "false"];
    private static readonly string[] Operators = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "and", "or"];
    private static readonly string[] Calls = ["length", "upper", "lower", "trim", "string", "isNull", "Abs", "concat", "coalesce", "contains", "startsWith", "Max", "Min", "if", "in"];

    /// <summary>Half well-formed expressions from a small grammar, half token soup (sometimes very long or deep).</summary>
    private static string Generate(Random random) => random.Next(2) == 0 ? Grammar(random, random.Next(1, 6)) : Soup(random);

    private static string Grammar(Random random, int depth)
    {
        if (depth <= 0)
        {
            return random.Next(2) == 0 ? Names[random.Next(Names.Length)] : Literals[random.Next(Literals.Length)];
        }

        return random.Next(6) switch
        {
            0 or 1 => $"{Grammar(random, depth - 1)} {Operators[random.Next(Operators.Length)]} {Grammar(random, depth - 1)}",
            2 => $"({Grammar(random, depth - 1)})",
            3 => $"not {Grammar(random, depth - 1)}",
            4 => $"{Grammar(random, depth - 1)} ? {Grammar(random, depth - 1)} : {Grammar(random, depth - 1)}",
            _ => $"{Calls[random.Next(Calls.Length)]}({string.Join(", ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Grammar(random, depth - 1)))})",
        };
    }

    private static string Soup(Random random)
    {
        var builder = new StringBuilder();
        var count = random.Next(100) switch
        {
            < 80 => random.Next(1, 12),
            < 95 => random.Next(12, 80),
            _ => random.Next(200, 1500),
        };
        for (var t = 0; t < count; t++)
        {
            builder.Append(Tokens[random.Next(Tokens.Length)]).Append(random.Next(3) == 0 ? string.Empty : " ");
        }

        return builder.ToString();
    }

    /// <summary>A corpus entry with random characters inserted, deleted, replaced or repeated.</summary>
    private static string Mutate(Random random, string seed)
    {
        var chars = new StringBuilder(seed);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            var at = chars.Length == 0 ? 0 : random.Next(chars.Length);
            switch (random.Next(5))
            {
                case 0 when chars.Length > 0:
                    chars.Remove(at, Math.Min(chars.Length - at, random.Next(1, 4)));
                    break;
                case 1:
                    chars.Insert(at, "()[]{}'\".#,+-*/!<>=?:$\\ \0é\u202e"[random.Next(26)]);
                    break;
                case 2 when chars.Length > 0:
                    chars[at] = (char)random.Next(32, 127);
                    break;
                case 3:
                    chars.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                default:
                    var piece = chars.ToString(at, Math.Min(chars.Length - at, random.Next(1, 10)));
                    chars.Insert(at, string.Concat(Enumerable.Repeat(piece, random.Next(2, 30))));
                    break;
            }
        }

        return chars.ToString();
    }
}
