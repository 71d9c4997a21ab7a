using System.Text;

namespace OrbitMesh.Workflows;

/// <summary>
/// Where each value of a parsed document starts, by JSON Pointer (<c>/steps/0/kind</c>), so that an
/// error found later on the JSON model (by the schema, the deserializer or the validator) can name
/// the line and column of the text the user wrote.
/// </summary>
internal sealed class SourceMap
{
    private readonly Dictionary<string, SourcePosition> positions = new(StringComparer.Ordinal);

    public void Add(string pointer, SourcePosition position) => positions.TryAdd(pointer, position);

    /// <summary>The position of the value at <paramref name="pointer"/>, else of its nearest ancestor that has one.</summary>
    public SourcePosition? Find(string? pointer)
    {
        var current = pointer ?? string.Empty;
        while (true)
        {
            if (positions.TryGetValue(current, out var position))
            {
                return position;
            }

            if (current.Length == 0)
            {
                return null;
            }

            var slash = current.LastIndexOf('/');
            current = slash <= 0 ? string.Empty : current[..slash];
        }
    }

    /// <summary>Appends one reference token to a pointer, escaping '~' and '/' (RFC 6901).</summary>
    public static string Child(string pointer, string token) =>
        pointer + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Child(string pointer, int index) => pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Turns a System.Text.Json path (<c>$.steps[0].kind</c>, <c>$['odd key']</c>) into a JSON Pointer.
    /// </summary>
    public static string FromJsonPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return string.Empty;
        }

        var pointer = new StringBuilder();
        var i = path[0] == '$' ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] != '.' && path[end] != '[')
                {
                    end++;
                }

                pointer.Append(Child(string.Empty, path[(i + 1)..end]));
                i = end;
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0)
                {
                    break;
                }

                var token = path[(i + 1)..close];
                if (token.Length >= 2 && token[0] == '\'' && token[^1] == '\'')
                {
                    token = token[1..^1];
                }

                pointer.Append(Child(string.Empty, token));
                i = close + 1;
            }
            else
            {
                break;
            }
        }

        return pointer.ToString();
    }
}
