using System.Globalization;
using System.Text;

namespace OrbitMesh.Workflows;

/// <summary>
/// The first pass over an expression, before NCalc parses it: finds the names it reads
/// (<c>params.version</c>, <c>steps.build.output.path</c>, <c>steps['deploy-a'].status</c>) and puts
/// a placeholder parameter in place of each, enforces the length and nesting limits before any
/// recursive parser sees the text, and refuses member calls (<c>x.GetType()</c>,
/// <c>System.IO.File.ReadAllText(...)</c>) with a clear error. NCalc itself has no member access,
/// so this is where a dotted name gets its meaning, and nothing else gets one.
/// </summary>
internal static class ExpressionNames
{
    /// <summary>The placeholder NCalc sees for the name at <paramref name="index"/>.</summary>
    public static string Placeholder(int index) => "__n" + index.ToString(CultureInfo.InvariantCulture);

    public static (string Text, IReadOnlyList<IReadOnlyList<string>> Names) Rewrite(string expression)
    {
        if (expression.Length > WorkflowExpressionLimits.MaxLength)
        {
            throw Error($"is {expression.Length:N0} characters long; at most {WorkflowExpressionLimits.MaxLength:N0} are allowed", expression);
        }

        var output = new StringBuilder(expression.Length + 16);
        var names = new List<IReadOnlyList<string>>();
        var depth = 0;
        var unary = 0;
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (c == '\0' || (char.IsControl(c) && c is not ('\t' or '\n' or '\r')))
            {
                throw Error("holds a control character", expression);
            }

            if (c is '\'' or '"')
            {
                var end = StringEnd(expression, i);
                output.Append(expression, i, end - i);
                i = end;
                unary = 0;
                continue;
            }

            if (c is '[' or '{' or '#')
            {
                // NCalc's own [name], {name} and #date# forms: names must be written as paths here, and dates have no use.
                throw Error(c == '#' ? "uses a date literal (#...#); expressions have no dates or clock" : $"uses '{c}' outside a name; write names as params.x or steps.id.output", expression);
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var (segments, next) = ReadName(expression, i);
                var after = SkipSpaces(expression, next);
                var isCall = after < expression.Length && expression[after] == '(';
                if (isCall && segments.Count > 1)
                {
                    throw Error($"calls a member ('{string.Join('.', segments)}(...)'); expressions call only the functions in docs/workflows.md", expression);
                }

                if (isCall || IsKeyword(segments))
                {
                    output.Append(expression, i, next - i);
                }
                else
                {
                    if (names.Count == WorkflowExpressionLimits.MaxNames)
                    {
                        throw Error($"reads more than {WorkflowExpressionLimits.MaxNames} names", expression);
                    }

                    output.Append('[').Append(Placeholder(names.Count)).Append(']');
                    names.Add(segments);
                }

                i = next;
                unary = segments is [var word] && word.Equals("not", StringComparison.OrdinalIgnoreCase) ? unary + 1 : 0;
                if (depth + unary > WorkflowExpressionLimits.MaxDepth)
                {
                    throw Error($"nests deeper than {WorkflowExpressionLimits.MaxDepth} levels", expression);
                }

                continue;
            }

            if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
            }

            unary = c is '!' or '-' or '~' or '+' ? unary + 1 : char.IsWhiteSpace(c) ? unary : 0;
            if (depth + unary > WorkflowExpressionLimits.MaxDepth)
            {
                throw Error($"nests deeper than {WorkflowExpressionLimits.MaxDepth} levels", expression);
            }

            output.Append(c);
            i++;
        }

        return (output.ToString(), names);
    }

    /// <summary>Reads <c>root(.segment | ['segment'] | [index])*</c> from <paramref name="start"/>.</summary>
    private static (List<string> Segments, int Next) ReadName(string text, int start)
    {
        var segments = new List<string>();
        var i = ReadIdentifier(text, start, out var root);
        segments.Add(root);
        while (i < text.Length)
        {
            if (text[i] == '.' && i + 1 < text.Length && (char.IsAsciiLetterOrDigit(text[i + 1]) || text[i + 1] == '_'))
            {
                var j = i + 1;
                while (j < text.Length && (char.IsAsciiLetterOrDigit(text[j]) || text[j] is '_' or '-'))
                {
                    j++;
                }

                segments.Add(text[(i + 1)..j]);
                i = j;
            }
            else if (text[i] == '[' && i + 1 < text.Length && text[i + 1] is '\'' or '"')
            {
                var end = StringEnd(text, i + 1);
                if (end >= text.Length || text[end] != ']')
                {
                    throw Error("has an unclosed ['name'] segment", text);
                }

                segments.Add(Unquote(text[(i + 1)..end]));
                i = end + 1;
            }
            else if (text[i] == '[' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))
            {
                var j = i + 1;
                while (j < text.Length && char.IsAsciiDigit(text[j]))
                {
                    j++;
                }

                if (j >= text.Length || text[j] != ']' || j - i > 7)
                {
                    throw Error("has a malformed [index] segment", text);
                }

                segments.Add(text[(i + 1)..j]);
                i = j + 1;
            }
            else
            {
                break;
            }
        }

        return (segments, i);
    }

    private static int ReadIdentifier(string text, int start, out string identifier)
    {
        var i = start;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
        {
            i++;
        }

        identifier = text[start..i];
        return i;
    }

    /// <summary>The index just past the string literal that starts at <paramref name="start"/>.</summary>
    private static int StringEnd(string text, int start)
    {
        var quote = text[start];
        var i = start + 1;
        while (i < text.Length)
        {
            if (text[i] == '\\')
            {
                i += 2;
                continue;
            }

            if (text[i] == quote)
            {
                return i + 1;
            }

            i++;
        }

        throw Error("has an unterminated string", text);
    }

    private static string Unquote(string literal)
    {
        var inner = literal[1..^1];
        var builder = new StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            builder.Append(inner[i] == '\\' && i + 1 < inner.Length ? inner[++i] : inner[i]);
        }

        return builder.ToString();
    }

    private static int SkipSpaces(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsKeyword(List<string> segments) =>
        segments.Count == 1 && segments[0].ToUpperInvariant() is "TRUE" or "FALSE" or "AND" or "OR" or "NOT";

    internal static WorkflowExpressionException Error(string what, string expression) =>
        new($"The expression {Quote(expression)} {what}.");

    internal static string Quote(string expression)
    {
        var shown = expression.Length > 80 ? expression[..77] + "..." : expression;
        return "'" + shown.Replace("\n", " ", StringComparison.Ordinal).Replace("\r", " ", StringComparison.Ordinal) + "'";
    }
}
