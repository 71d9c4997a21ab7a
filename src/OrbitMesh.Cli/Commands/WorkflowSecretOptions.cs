using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// <c>workflows run</c>'s <c>--secret NAME=VALUE</c> (repeatable) and <c>--secret-file FILE</c> (<c>-</c>
/// for stdin): a file of <c>NAME=VALUE</c> lines (blank lines and <c>#</c> comments skipped) or one JSON
/// object of names to strings. Errors never show a value.
/// </summary>
internal static class WorkflowSecretOptions
{
    /// <summary>The secrets given, or null when none; <paramref name="readStdin"/> reads standard input for <c>--secret-file -</c>.</summary>
    /// <exception cref="CliException">A malformed pair, an unreadable file, or a name given twice.</exception>
    public static Dictionary<string, string>? Parse(IReadOnlyList<string> pairs, string? file, Func<string>? readStdin = null)
    {
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file is not null)
        {
            string text;
            try
            {
                text = file == "-" ? (readStdin ?? Console.In.ReadToEnd)() : File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot read the secret file '{file}': {ex.Message}");
            }

            if (text.TrimStart().StartsWith('{'))
            {
                ReadJson(text, file, secrets);
            }
            else
            {
                var number = 0;
                foreach (var raw in text.Split('\n'))
                {
                    number++;
                    var line = raw.TrimEnd('\r');
                    if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
                    {
                        continue;
                    }

                    Add(secrets, line, $"line {number} of the secret file '{file}'");
                }
            }
        }

        foreach (var pair in pairs)
        {
            Add(secrets, pair, "--secret");
        }

        return secrets.Count > 0 ? secrets : null;
    }

    private static void ReadJson(string text, string file, Dictionary<string, string> secrets)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            // JsonException's message may quote the text, which holds the secrets.
            throw new CliException($"The secret file '{file}' starts with '{{' but is not valid JSON; give a JSON object of names to strings, or NAME=VALUE lines.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliException($"The secret file '{file}' must hold one JSON object of names to strings.");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    throw new CliException($"The secret '{property.Name}' in '{file}' must be a string, not {property.Value.ValueKind.ToString().ToLowerInvariant()}.");
                }

                AddOne(secrets, property.Name, property.Value.GetString()!, $"the secret file '{file}'");
            }
        }
    }

    private static void Add(Dictionary<string, string> secrets, string pair, string where)
    {
        var equals = pair.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            // Without '=' the text may be the value itself: show none of it.
            throw new CliException($"{Capitalized(where)} needs NAME=VALUE; what was given has {(equals == 0 ? "no name before '='" : "no '='")} (the text is not shown, as it may be a secret).");
        }

        AddOne(secrets, pair[..equals].Trim(), pair[(equals + 1)..], where);
    }

    private static void AddOne(Dictionary<string, string> secrets, string name, string value, string where)
    {
        if (!secrets.TryAdd(name, value))
        {
            throw new CliException($"The secret '{name}' is given twice ({where}).");
        }
    }

    private static string Capitalized(string where) => where.StartsWith("--", StringComparison.Ordinal) ? where : char.ToUpperInvariant(where[0]) + where[1..];
}
