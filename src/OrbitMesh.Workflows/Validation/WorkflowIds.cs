namespace OrbitMesh.Workflows;

/// <summary>
/// The rules for workflow names and step ids: 1 to <see cref="WorkflowLimits.MaxIdLength"/> ASCII
/// letters, digits, '-', '_' or '.', starting with a letter or a digit. Ids are case-sensitive.
/// </summary>
public static class WorkflowIds
{
    /// <summary>True when <paramref name="value"/> is a valid workflow name or step id.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > WorkflowLimits.MaxIdLength || !char.IsAsciiLetterOrDigit(value[0]))
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A step id derived from a type name: <c>DeployToNodeA</c> becomes <c>deploy-to-node-a</c>; a
    /// generic arity suffix is dropped.
    /// </summary>
    public static string FromTypeName(string typeName)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        var tick = typeName.IndexOf('`', StringComparison.Ordinal);
        var name = tick >= 0 ? typeName[..tick] : typeName;
        var id = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsAsciiLetterUpper(c))
            {
                var previous = i > 0 ? name[i - 1] : '\0';
                var next = i + 1 < name.Length ? name[i + 1] : '\0';
                var startsWord = i > 0 && (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous)
                    || (char.IsAsciiLetterUpper(previous) && char.IsAsciiLetterLower(next)));
                if (startsWord)
                {
                    id.Append('-');
                }

                id.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
            {
                id.Append(c);
            }
            else
            {
                id.Append('-');
            }
        }

        var result = id.ToString().Trim('-');
        if (result.Length > WorkflowLimits.MaxIdLength)
        {
            result = result[..WorkflowLimits.MaxIdLength];
        }

        return result.Length == 0 ? "step" : result;
    }

    /// <summary>Quotes an id for a message, shortened and stripped of control characters.</summary>
    internal static string Quote(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        var shown = value.Length > 64 ? value[..64] + "…" : value;
        return "'" + new string([.. shown.Select(c => char.IsControl(c) ? '?' : c)]) + "'";
    }
}
