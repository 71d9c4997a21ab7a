using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrbitMesh.Workflows;

/// <summary>Checks a trigger before it is stored; every problem is reported, each with the JSON Pointer of the member at fault.</summary>
public static partial class WorkflowTriggerValidator
{
    /// <summary>The longest replay window a webhook may have, in seconds (an hour).</summary>
    public const int MaxReplayWindowSeconds = 3600;

    /// <summary>The replay window of a webhook that names none, in seconds (five minutes).</summary>
    public const int DefaultReplayWindowSeconds = 300;

    /// <summary>Every problem with the trigger; empty when it is valid.</summary>
    public static IReadOnlyList<WorkflowValidationError> Validate(WorkflowTrigger trigger, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var errors = new List<WorkflowValidationError>();
        void Add(string code, string pointer, string message) => errors.Add(new WorkflowValidationError(code, message) { Path = pointer });

        if (string.IsNullOrEmpty(trigger.Name) || !NamePattern().IsMatch(trigger.Name))
        {
            Add(WorkflowErrorCodes.InvalidName, "/name", $"The trigger name '{trigger.Name}' is not valid: 1 to 100 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(trigger.Workflow) || trigger.Workflow.Length > 200)
        {
            Add(WorkflowErrorCodes.InvalidName, "/workflow", "A trigger names the workflow it runs ('workflow').");
        }

        if (trigger.Version is < 1)
        {
            Add(WorkflowErrorCodes.InvalidSetting, "/version", $"The workflow version must be 1 or more, not {trigger.Version}; leave it out to run the latest version.");
        }

        if (trigger.Description is { Length: > 1000 })
        {
            Add(WorkflowErrorCodes.OverLimit, "/description", "The description is longer than 1,000 characters.");
        }

        if (trigger.Parameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined) } parameters)
        {
            Add(WorkflowErrorCodes.InvalidParameters, "/parameters", $"The parameters must be a JSON object, not {parameters.ValueKind.ToString().ToLowerInvariant()}.");
        }

        OnlyFor(trigger.Kind, WorkflowTriggerKind.Cron, trigger.Schedule is not null, "/schedule", "schedule", Add);
        OnlyFor(trigger.Kind, WorkflowTriggerKind.Cron, trigger.TimeZone is not null, "/timeZone", "timeZone", Add);
        OnlyFor(trigger.Kind, WorkflowTriggerKind.Cron, trigger.MissedTicks != MissedTickPolicy.Skip, "/missedTicks", "missedTicks", Add);
        OnlyFor(trigger.Kind, WorkflowTriggerKind.Event, trigger.Event is not null, "/event", "event", Add);
        OnlyFor(trigger.Kind, WorkflowTriggerKind.Event, trigger.Filter is not null, "/filter", "filter", Add);
        OnlyFor(trigger.Kind, WorkflowTriggerKind.Webhook, trigger.ReplayWindowSeconds is not null, "/replayWindowSeconds", "replayWindowSeconds", Add);

        switch (trigger.Kind)
        {
            case WorkflowTriggerKind.Cron when string.IsNullOrWhiteSpace(trigger.Schedule):
                Add(WorkflowErrorCodes.InvalidSetting, "/schedule", "A cron trigger needs a 'schedule' such as '0 2 * * *' (02:00 every day).");
                break;
            case WorkflowTriggerKind.Cron:
                var zone = TimeZoneInfo.Utc;
                try
                {
                    zone = CronSchedule.FindZone(trigger.TimeZone);
                }
                catch (FormatException ex)
                {
                    Add(WorkflowErrorCodes.InvalidSetting, "/timeZone", ex.Message);
                }

                try
                {
                    CronSchedule.Parse(trigger.Schedule!, zone, now);
                }
                catch (FormatException ex)
                {
                    Add(WorkflowErrorCodes.InvalidSetting, "/schedule", ex.Message);
                }

                break;
            case WorkflowTriggerKind.Event:
                ValidateEvent(trigger, Add);
                break;
            case WorkflowTriggerKind.Webhook when trigger.ReplayWindowSeconds is < 1 or > MaxReplayWindowSeconds:
                Add(WorkflowErrorCodes.InvalidSetting, "/replayWindowSeconds", $"The replay window must be 1 to {MaxReplayWindowSeconds} seconds, not {trigger.ReplayWindowSeconds}.");
                break;
        }

        return errors;
    }

    /// <summary>Throws every problem with the trigger at once.</summary>
    /// <exception cref="WorkflowValidationException">The trigger is invalid.</exception>
    public static void ThrowIfInvalid(WorkflowTrigger trigger, DateTimeOffset now)
    {
        if (Validate(trigger, now) is { Count: > 0 } errors)
        {
            throw new WorkflowValidationException(trigger.Name, errors);
        }
    }

    /// <summary>Whether an event type matches a trigger's <c>event</c>: equal, <c>*</c>, or a prefix ending in <c>.*</c>.</summary>
    public static bool Matches(string pattern, string type) =>
        pattern == "*"
        || (pattern.EndsWith(".*", StringComparison.Ordinal) ? type.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, type, StringComparison.Ordinal));

    /// <summary>Whether a string is a valid event type (for a posted event).</summary>
    public static bool IsEventType(string type) => NamePattern().IsMatch(type);

    private static void ValidateEvent(WorkflowTrigger trigger, Action<string, string, string> add)
    {
        if (string.IsNullOrWhiteSpace(trigger.Event))
        {
            add(WorkflowErrorCodes.InvalidSetting, "/event", $"An event trigger names the event it listens to ('event'), such as {MeshEventTypes.JobFailed}, deploy.requested or deploy.*.");
        }
        else if (trigger.Event != "*" && !NamePattern().IsMatch(trigger.Event.EndsWith(".*", StringComparison.Ordinal) ? trigger.Event[..^2] : trigger.Event))
        {
            add(WorkflowErrorCodes.InvalidSetting, "/event", $"The event '{trigger.Event}' is not an event type: lower-case letters, digits, '.', '_' or '-' (a prefix may end in '.*').");
        }

        if (trigger.Filter is null)
        {
            return;
        }

        try
        {
            var filter = WorkflowExpression.Parse(trigger.Filter);
            foreach (var name in filter.Names.Where(name => name[0] is not ("event" or "null")))
            {
                add(WorkflowErrorCodes.InvalidExpression, "/filter", $"The filter reads '{string.Join('.', name)}'; a filter reads only the event (event.type, event.source, event.data...).");
            }
        }
        catch (WorkflowExpressionException ex)
        {
            add(WorkflowErrorCodes.InvalidExpression, "/filter", ex.Message);
        }
    }

    private static void OnlyFor(WorkflowTriggerKind kind, WorkflowTriggerKind owner, bool given, string pointer, string member, Action<string, string, string> add)
    {
        if (given && kind != owner)
        {
            add(WorkflowErrorCodes.InvalidSetting, pointer, $"'{member}' is a setting of {owner.ToString().ToLowerInvariant()} triggers; this trigger is a {kind.ToString().ToLowerInvariant()} trigger.");
        }
    }

    /// <summary>Trigger names and event types alike.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
