using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// The rules of a run's secrets (docs/workflows.md, Secrets): their names and values, which secrets a
/// definition reads (<c>${{ secrets.NAME }}</c> in step, compensation and <c>onFailure</c>
/// parameters), and which top-level parameters of a step carry one, so that its job lists them as
/// <see cref="JobRequest.SecretParameters"/>.
/// </summary>
internal static class WorkflowRunSecrets
{
    /// <summary>How many secrets one run may carry.</summary>
    public const int MaxSecrets = 64;

    /// <summary>The longest name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The longest value, in characters.</summary>
    public const int MaxValueLength = 16 * 1024;

    /// <summary>The name rule, as error messages state it.</summary>
    public const string NameRule = "a secret's name is 1 to 64 ASCII letters, digits and '_', and does not start with a digit";

    /// <summary>True when <paramref name="name"/> follows <see cref="NameRule"/>.</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every secret name the definition's templates read.</summary>
    public static SortedSet<string> ReadBy(WorkflowDefinition definition)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var step in definition.Steps ?? [])
        {
            AddReads(step?.Parameters, names);
            AddReads(step?.Compensation?.Parameters, names);
        }

        AddReads(definition.OnFailure?.Parameters, names);
        return names;
    }

    /// <summary>
    /// The top-level parameters whose value holds a template that reads a secret: the job gets them as
    /// secret parameters (the server seals them and shows them redacted). Null when there are none.
    /// </summary>
    public static IReadOnlyList<string>? SecretKeysOf(JsonElement? parameters)
    {
        List<string>? keys = null;
        foreach (var (pointer, expression) in Templates(parameters))
        {
            if (!ReadsSecret(expression))
            {
                continue;
            }

            var key = TopLevelKey(pointer);
            keys ??= [];
            if (key is not null && !keys.Contains(key, StringComparer.Ordinal))
            {
                keys.Add(key);
            }
        }

        return keys is { Count: > 0 } ? keys : null;
    }

    /// <summary>Every problem with the secrets given to a run of <paramref name="definition"/>: bad names or values, secrets no step reads, secrets its steps read that were not given.</summary>
    public static List<WorkflowValidationError> Check(WorkflowDefinition definition, IReadOnlyDictionary<string, string>? secrets)
    {
        var errors = new List<WorkflowValidationError>();
        var given = secrets ?? new Dictionary<string, string>();
        var read = ReadBy(definition);
        if (given.Count > MaxSecrets)
        {
            errors.Add(new(WorkflowErrorCodes.InvalidSecret, $"The run was given {given.Count} secrets; at most {MaxSecrets} are allowed."));
        }

        foreach (var (name, value) in given.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!IsValidName(name))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidSecret, $"The secret name '{Shown(name)}' is invalid: {NameRule}."));
            }
            else if (value is null)
            {
                errors.Add(new(WorkflowErrorCodes.InvalidSecret, $"The secret '{name}' has no value."));
            }
            else if (value.Length > MaxValueLength)
            {
                errors.Add(new(WorkflowErrorCodes.InvalidSecret, $"The secret '{name}' is {value.Length:N0} characters long; at most {MaxValueLength:N0} are allowed."));
            }
            else if (!read.Contains(name))
            {
                errors.Add(new(WorkflowErrorCodes.InvalidSecret, $"The secret '{name}' is read by no step of workflow '{definition.Name}' version {definition.Version} (it reads {Describe(read)}); a secret is read as ${{{{ secrets.{name} }}}} in a step's parameters."));
            }
        }

        foreach (var name in read)
        {
            if (!given.ContainsKey(name))
            {
                errors.Add(new(WorkflowErrorCodes.MissingSecret, $"The run needs the secret '{name}' (read as ${{{{ secrets.{name} }}}} by {Readers(definition, name)})."));
            }
        }

        return errors;
    }

    private static string Readers(WorkflowDefinition definition, string name)
    {
        var readers = new List<string>();
        foreach (var step in definition.Steps ?? [])
        {
            if (Reads(step.Parameters, name) || Reads(step.Compensation?.Parameters, name))
            {
                readers.Add($"step '{step.Id}'");
            }
        }

        if (Reads(definition.OnFailure?.Parameters, name))
        {
            readers.Add("onFailure");
        }

        return string.Join(", ", readers);
    }

    private static bool Reads(JsonElement? parameters, string name)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        AddReads(parameters, names);
        return names.Contains(name);
    }

    private static void AddReads(JsonElement? parameters, SortedSet<string> names)
    {
        foreach (var (_, expression) in Templates(parameters))
        {
            foreach (var name in Parse(expression)?.Names ?? [])
            {
                if (name is ["secrets", var secret])
                {
                    names.Add(secret);
                }
            }
        }
    }

    private static bool ReadsSecret(string expression) => Parse(expression)?.Names.Any(n => n.Count > 0 && n[0] == "secrets") == true;

    private static WorkflowExpression? Parse(string expression)
    {
        try
        {
            return WorkflowExpression.Parse(expression);
        }
        catch (WorkflowExpressionException)
        {
            return null; // The validator reports it; an expression that does not parse reads nothing.
        }
    }

    private static IReadOnlyList<(string Pointer, string Expression)> Templates(JsonElement? parameters)
    {
        try
        {
            return ExpressionTemplate.Find(parameters);
        }
        catch (WorkflowExpressionException)
        {
            return [];
        }
    }

    /// <summary>The top-level property of a JSON Pointer (<c>/auth/token</c> is <c>auth</c>), unescaped.</summary>
    private static string? TopLevelKey(string pointer)
    {
        if (pointer.Length < 2 || pointer[0] != '/')
        {
            return null;
        }

        var end = pointer.IndexOf('/', 1);
        var segment = end < 0 ? pointer[1..] : pointer[1..end];
        return segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
    }

    private static string Describe(SortedSet<string> names) => names.Count == 0 ? "no secrets" : string.Join(", ", names);

    private static string Shown(string? name) => name is null ? string.Empty : name.Length > MaxNameLength ? name[..MaxNameLength] + "..." : name;
}
