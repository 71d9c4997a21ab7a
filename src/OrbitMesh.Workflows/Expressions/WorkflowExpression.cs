using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NCalc;
using NCalc.Exceptions;

namespace OrbitMesh.Workflows;

/// <summary>
/// One workflow expression: a step's <c>if</c> condition or the inside of a <c>${{ }}</c> template.
/// The language is NCalc's (operators, literals, <c>if(...)</c>, <c>in(...)</c>, math functions)
/// plus dotted names into an <see cref="ExpressionScope"/> and a few string functions; see
/// docs/workflows.md. It can reach nothing but the values it is given.
/// </summary>
/// <remarks>
/// Why NCalc (docs/workflows.md has the longer answer): it is an expression evaluator, not a
/// scripting engine. It has no statements, loops, assignment, member access, type names or
/// reflection, and calls only functions it was handed, so there is nothing to switch off and no
/// loop to bound. DynamicExpresso compiles C# over CLR types and must be fenced in type by type;
/// Jint runs JavaScript with loops, closures and (when enabled) the CLR, which needs statement,
/// time and memory limits just to stop. What NCalc lacks, the surrounding code adds: a length and
/// nesting limit checked before its recursive parser sees the text (<see cref="ExpressionNames"/>),
/// a cap on the string characters one evaluation reads (so concatenation cannot build gigabytes),
/// and a time limit checked at every name and function.
/// </remarks>
public sealed class WorkflowExpression
{
    private const ExpressionOptions Options =
        ExpressionOptions.NoCache | ExpressionOptions.AllowNullParameter | ExpressionOptions.OrdinalStringComparer | ExpressionOptions.OverflowProtection;

    private static readonly HashSet<string> BuiltIns = new(StringComparer.Ordinal)
    {
        "Abs", "Ceiling", "Floor", "Max", "Min", "Pow", "Round", "Sign", "Sqrt", "Truncate", "if", "ifs", "in",
    };

    private readonly string _rewritten;

    private WorkflowExpression(string text, string rewritten, IReadOnlyList<IReadOnlyList<string>> names)
    {
        Text = text;
        _rewritten = rewritten;
        Names = names;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>The names it reads, each as its segments (<c>["steps", "build", "output", "path"]</c>).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Names { get; }

    /// <summary>The functions an expression may call besides NCalc's math, <c>if</c> and <c>in</c>.</summary>
    public static IReadOnlyList<string> Functions { get; } = ["contains", "startsWith", "endsWith", "length", "lower", "upper", "trim", "string", "concat", "coalesce", "isNull"];

    /// <summary>Parses and checks an expression without evaluating it.</summary>
    /// <exception cref="WorkflowExpressionException">It does not parse, breaks a limit, calls an unknown function or a member.</exception>
    public static WorkflowExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var body = Unwrap(text);
        if (body.Length == 0)
        {
            throw ExpressionNames.Error("is empty", text);
        }

        var (rewritten, names) = ExpressionNames.Rewrite(body);
        var expression = new Expression(rewritten, Options);
        List<string> functions;
        try
        {
            if (expression.HasErrors())
            {
                throw ExpressionNames.Error("does not parse" + Reason(expression.Error), text);
            }

            functions = expression.GetFunctionNames();
        }
        catch (WorkflowExpressionException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new WorkflowExpressionException($"The expression {ExpressionNames.Quote(text)} does not parse{Reason(ex)}.", ex);
        }

        foreach (var function in functions)
        {
            if (!BuiltIns.Contains(function) && !Functions.Contains(function, StringComparer.Ordinal))
            {
                throw ExpressionNames.Error($"calls the unknown function '{function}'; the functions are {string.Join(", ", BuiltIns.Concat(Functions))}", text);
            }
        }

        return new WorkflowExpression(text, rewritten, names);
    }

    /// <summary>Whether a string is a whole <c>${{ ... }}</c> wrapper (which conditions may use or leave out).</summary>
    internal static string Unwrap(string text)
    {
        var trimmed = text.Trim();
        return trimmed.StartsWith("${{", StringComparison.Ordinal) && trimmed.EndsWith("}}", StringComparison.Ordinal) && trimmed.IndexOf("}}", StringComparison.Ordinal) == trimmed.Length - 2
            ? trimmed[3..^2].Trim()
            : trimmed;
    }

    /// <summary>Evaluates the expression over a scope: null, a bool, a string, a number (long, double or decimal), or a JSON object or array.</summary>
    /// <exception cref="WorkflowExpressionException">It reads an unknown name, breaks a limit, or fails (a type mismatch, an overflow).</exception>
    public object? Evaluate(ExpressionScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var budget = new Budget(Text);
        var expression = new Expression(_rewritten, Options);
        expression.EvaluateParameter += (name, args) =>
        {
            budget.Check();
            var index = int.Parse(name.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture);
            args.Result = budget.Read(ToClr(scope.Resolve(Names[index], Text)));
        };
        expression.EvaluateFunction += (name, args) =>
        {
            budget.Check();
            if (Functions.Contains(name, StringComparer.Ordinal))
            {
                args.Result = budget.Read(ExpressionFunctions.Call(name, args, Text));
            }
        };
        try
        {
            var result = expression.Evaluate();
            budget.Check();
            return result;
        }
        catch (WorkflowExpressionException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new WorkflowExpressionException($"The expression {ExpressionNames.Quote(Text)} failed{Reason(ex)}.", ex);
        }
    }

    /// <summary>Evaluates a condition: it must give true or false (null counts as false).</summary>
    public bool EvaluateCondition(ExpressionScope scope) => Evaluate(scope) switch
    {
        bool b => b,
        null => false,
        var other => throw new WorkflowExpressionException($"The condition {ExpressionNames.Quote(Text)} gave {Describe(other)}, not true or false."),
    };

    /// <summary>Evaluates the expression and returns its value as JSON.</summary>
    public JsonElement EvaluateToJson(ExpressionScope scope) => ToJson(Evaluate(scope));

    internal static JsonElement ToJson(object? value) => value switch
    {
        JsonElement element => element,
        double d when !double.IsFinite(d) => throw new WorkflowExpressionException($"The expression gave {d}, which JSON cannot hold."),
        _ => JsonSerializer.SerializeToElement(value, value?.GetType() ?? typeof(object)),
    };

    /// <summary>JSON as the CLR values NCalc computes with: strings, booleans, longs, doubles; objects and arrays stay JSON.</summary>
    internal static object? ToClr(JsonElement? value) => value switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.Number } v => v.TryGetInt64(out var l) ? l : v.GetDouble(),
        { } v => v,
    };

    internal static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"the string '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        JsonElement { ValueKind: JsonValueKind.Object } => "an object",
        JsonElement { ValueKind: JsonValueKind.Array } => "an array",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "a value",
    };

    private static string Reason(Exception? ex) => ex switch
    {
        null => string.Empty,
        NCalcParserException => ": check the operators, parentheses and quotes",
        NCalcFunctionNotFoundException => ": it calls an unknown function",
        OverflowException => ": arithmetic overflow (or division by zero)",
        _ when ex.InnerException is { } inner && inner is not NCalcException => Reason(inner),
        _ => ": " + ex.Message,
    };

    /// <summary>The time and string-size budget of one evaluation.</summary>
    private sealed class Budget(string text)
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private long _characters;

        public void Check()
        {
            if (Stopwatch.GetElapsedTime(_started) > WorkflowExpressionLimits.MaxEvaluationTime)
            {
                throw ExpressionNames.Error($"took longer than {WorkflowExpressionLimits.MaxEvaluationTime.TotalMilliseconds} ms", text);
            }
        }

        public object? Read(object? value)
        {
            if (value is string s && (_characters += s.Length) > WorkflowExpressionLimits.MaxStringCharactersRead)
            {
                throw ExpressionNames.Error($"reads more than {WorkflowExpressionLimits.MaxStringCharactersRead:N0} characters of strings", text);
            }

            return value;
        }
    }
}
