using System.Globalization;
using System.Text.Json;

namespace OrbitMesh.Workflows;

/// <summary>
/// The values an expression may read, and nothing else: the run's parameters (<c>params.*</c>), the
/// earlier steps' outputs and statuses (<c>steps.ID.output.*</c>, <c>steps.ID.status</c>), and the
/// run itself (<c>run.id</c>, <c>run.workflow</c>, <c>run.version</c>), and in step parameters only,
/// the run's secrets (<c>secrets.NAME</c>); in a trigger's filter, the
/// event (<c>event.type</c>, <c>event.source</c>, <c>event.data.*</c>) and nothing else. Values are
/// JSON; a missing member reads as null.
/// </summary>
public sealed class ExpressionScope
{
    /// <summary>The names an expression may start with.</summary>
    public static IReadOnlyList<string> Roots { get; } = ["params", "steps", "run", "secrets"];

    /// <summary>An empty scope: no parameters, no steps.</summary>
    public static ExpressionScope Empty { get; } = new();

    /// <summary>The run's parameters (a JSON object), or null.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>The outputs of the steps that have one, by step id.</summary>
    public IReadOnlyDictionary<string, JsonElement> Outputs { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>The status of each step (e.g. <c>succeeded</c>, <c>skipped</c>, <c>pending</c>), by step id.</summary>
    public IReadOnlyDictionary<string, string> Statuses { get; init; } = new Dictionary<string, string>();

    /// <summary>The run's id.</summary>
    public string? RunId { get; init; }

    /// <summary>The workflow's name.</summary>
    public string? Workflow { get; init; }

    /// <summary>The workflow's version.</summary>
    public int? Version { get; init; }

    /// <summary>
    /// The run's secrets by name, when the expression is a template in step parameters (the only place
    /// secrets may be read); null elsewhere, where reading <c>secrets.NAME</c> is an error.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Secrets { get; init; }

    /// <summary>The event a trigger's filter reads (<c>event.*</c>), or null outside a filter.</summary>
    public JsonElement? Event { get; init; }

    /// <summary>The value of a name, as JSON (undefined when absent: read as null).</summary>
    /// <exception cref="WorkflowExpressionException">The name starts with something other than a root, or names no part of a root.</exception>
    public JsonElement? Resolve(IReadOnlyList<string> segments, string expression)
    {
        ArgumentNullException.ThrowIfNull(segments);
        switch (segments[0])
        {
            case "null" when segments.Count == 1:
                return null;
            case "event" when Event is not null:
                return Walk(Event, segments, 1);
            case "event":
                throw ExpressionNames.Error("reads 'event'; only a trigger's filter reads the event", expression);
            case "params" or "steps" or "run" or "secrets" when Event is not null:
                throw ExpressionNames.Error($"reads '{segments[0]}'; a trigger's filter reads only the event (event.type, event.source, event.data...)", expression);
            case "params":
                return Walk(Parameters, segments, 1);
            case "secrets" when segments.Count != 2:
                throw ExpressionNames.Error("reads a secret as secrets.NAME (a secret is text; it has no members)", expression);
            case "secrets" when Secrets is null:
                throw ExpressionNames.Error($"reads the secret '{segments[1]}' outside step parameters; secrets may be read only in ${{{{ }}}} templates in parameters", expression);
            case "secrets":
                return Secrets.TryGetValue(segments[1], out var secret)
                    ? Json(secret)
                    : throw ExpressionNames.Error($"reads the secret '{segments[1]}', which the run was not given", expression);
            case "steps":
                if (segments.Count < 3 || segments[2] is not ("output" or "status"))
                {
                    throw ExpressionNames.Error($"reads '{string.Join('.', segments)}'; a step is read as steps.ID.output[.member...] or steps.ID.status", expression);
                }

                if (segments[2] == "status")
                {
                    return segments.Count == 3 && Statuses.TryGetValue(segments[1], out var status) ? Json(status) : null;
                }

                return Outputs.TryGetValue(segments[1], out var output) ? Walk(output, segments, 3) : null;
            case "run":
                return segments.Count != 2 ? throw ExpressionNames.Error("reads the run as run.id, run.workflow or run.version", expression)
                    : segments[1] switch
                    {
                        "id" => RunId is null ? null : Json(RunId),
                        "workflow" => Workflow is null ? null : Json(Workflow),
                        "version" => Version is { } v ? JsonSerializer.SerializeToElement(v) : null,
                        _ => throw ExpressionNames.Error($"reads 'run.{segments[1]}'; the run has id, workflow and version", expression),
                    };
            default:
                throw ExpressionNames.Error($"reads the unknown name '{segments[0]}'; names start with params., steps., run. or secrets.", expression);
        }
    }

    private static JsonElement? Walk(JsonElement? value, IReadOnlyList<string> segments, int from)
    {
        for (var i = from; i < segments.Count && value is { } current; i++)
        {
            value = current.ValueKind switch
            {
                JsonValueKind.Object => current.TryGetProperty(segments[i], out var member) ? member : null,
                JsonValueKind.Array => int.TryParse(segments[i], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength() ? current[index] : null,
                _ => null,
            };
        }

        return value;
    }

    private static JsonElement Json(string value) => JsonSerializer.SerializeToElement(value);
}
