using System.Globalization;
using System.Text;
using System.Text.Json;
using NCalc.Handlers;

namespace OrbitMesh.Workflows;

/// <summary>
/// The functions workflow expressions add to NCalc's: string tests and conversions over the values in
/// scope. None of them reaches anything outside its arguments.
/// </summary>
internal static class ExpressionFunctions
{
    public static object? Call(string name, FunctionEventArgs args, string expression)
    {
        var values = new object?[args.Parameters.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = args.Parameters.Evaluate(i);
        }

        return name switch
        {
            "contains" => Arity(name, values, 2, expression) switch
            {
                [string s, string part] => s.Contains(part, StringComparison.Ordinal),
                [JsonElement { ValueKind: JsonValueKind.Array } array, var item] => array.EnumerateArray().Any(e => Equals(WorkflowExpression.ToClr(e), Normalize(item))),
                [null, _] => false,
                _ => throw Mismatch(name, "a string and a string, or an array and a value", expression),
            },
            "startsWith" => Strings(name, values, expression) is var (a, b) && a.StartsWith(b, StringComparison.Ordinal),
            "endsWith" => Strings(name, values, expression) is var (c, d) && c.EndsWith(d, StringComparison.Ordinal),
            "length" => Arity(name, values, 1, expression)[0] switch
            {
                string s => (long)s.Length,
                JsonElement { ValueKind: JsonValueKind.Array } a => (long)a.GetArrayLength(),
                JsonElement { ValueKind: JsonValueKind.Object } o => (long)o.EnumerateObject().Count(),
                null => 0L,
                _ => throw Mismatch(name, "a string, an array or an object", expression),
            },
            "lower" => Text(name, values, expression).ToLowerInvariant(),
            "upper" => Text(name, values, expression).ToUpperInvariant(),
            "trim" => Text(name, values, expression).Trim(),
            "string" => Format(Arity(name, values, 1, expression)[0]),
            "concat" => Concat(values),
            "coalesce" => values.FirstOrDefault(v => v is not null),
            "isNull" => Arity(name, values, 1, expression)[0] is null,
            _ => throw ExpressionNames.Error($"calls the unknown function '{name}'", expression),
        };
    }

    /// <summary>A value as text: strings as they are, numbers invariant, JSON as JSON, null as empty.</summary>
    public static string Format(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        JsonElement e => e.GetRawText(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        decimal m when m == decimal.Truncate(m) && m is >= long.MinValue and <= long.MaxValue => (long)m,
        decimal m => (double)m,
        _ => value,
    };

    private static string Concat(object?[] values)
    {
        var builder = new StringBuilder();
        foreach (var value in values)
        {
            builder.Append(Format(value));
            if (builder.Length > WorkflowExpressionLimits.MaxRenderedLength)
            {
                throw new WorkflowExpressionException($"concat(...) built more than {WorkflowExpressionLimits.MaxRenderedLength:N0} characters.");
            }
        }

        return builder.ToString();
    }

    private static object?[] Arity(string name, object?[] values, int count, string expression) =>
        values.Length == count ? values : throw ExpressionNames.Error($"calls {name}(...) with {values.Length} arguments; it takes {count}", expression);

    private static string Text(string name, object?[] values, string expression) => Arity(name, values, 1, expression)[0] switch
    {
        string s => s,
        null => string.Empty,
        _ => throw Mismatch(name, "a string", expression),
    };

    private static (string, string) Strings(string name, object?[] values, string expression) => Arity(name, values, 2, expression) switch
    {
        [string a, string b] => (a, b),
        [null, string b] => (string.Empty, b),
        _ => throw Mismatch(name, "two strings", expression),
    };

    private static WorkflowExpressionException Mismatch(string name, string expected, string expression) =>
        ExpressionNames.Error($"calls {name}(...) with the wrong kind of value; it takes {expected}", expression);
}
