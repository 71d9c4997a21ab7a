using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrbitMesh.Workflows;

/// <summary>
/// What starts runs of a workflow without someone calling <c>workflows run</c>: a manual trigger
/// (fired through the API or the CLI), a cron schedule, an event, or a signed webhook. Plain data,
/// stored by the server and written as YAML or JSON (docs/workflows.md, "Triggers").
/// </summary>
public sealed record WorkflowTrigger
{
    /// <summary>The trigger's name, unique on the server: lower-case letters, digits, <c>.</c>, <c>_</c> and <c>-</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The workflow it runs.</summary>
    public required string Workflow { get; init; }

    /// <summary>The workflow version it runs; null runs the latest version at the time it fires.</summary>
    public int? Version { get; init; }

    /// <summary>What fires it.</summary>
    public WorkflowTriggerKind Kind { get; init; } = WorkflowTriggerKind.Manual;

    /// <summary>A line for people.</summary>
    public string? Description { get; init; }

    /// <summary>Whether it fires; a disabled trigger keeps its state and fires nothing.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Run parameters every run it starts gets (a JSON object); the payload's members are added over them.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>Cron: the schedule, five fields (minute hour day month weekday), six with seconds first, or a macro such as <c>@daily</c>.</summary>
    public string? Schedule { get; init; }

    /// <summary>Cron: the IANA (or Windows) time zone the schedule is read in; UTC when null.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Cron: what happens to the times that passed while no server was running (or the trigger could not fire).</summary>
    public MissedTickPolicy MissedTicks { get; init; } = MissedTickPolicy.Skip;

    /// <summary>Event: the event type it listens to (<c>job.failed</c>, <c>deploy.requested</c>), or a prefix ending in <c>.*</c> (<c>deploy.*</c>).</summary>
    public string? Event { get; init; }

    /// <summary>Event: a condition over <c>event.type</c>, <c>event.source</c> and <c>event.data.*</c>; the trigger fires only when it is true.</summary>
    public string? Filter { get; init; }

    /// <summary>Webhook: how far a request's timestamp may be from the server's clock, in seconds; also how long a signature is remembered against replays.</summary>
    public int? ReplayWindowSeconds { get; init; }
}

/// <summary>What fires a trigger.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkflowTriggerKind>))]
public enum WorkflowTriggerKind
{
    /// <summary>Only <c>POST /api/triggers/{name}/fire</c> or <c>orbitmesh triggers fire</c>.</summary>
    [JsonStringEnumMemberName("manual")]
    Manual,

    /// <summary>A cron schedule in a time zone.</summary>
    [JsonStringEnumMemberName("cron")]
    Cron,

    /// <summary>A mesh event (agent, job or workflow) or a custom event posted to <c>/api/events</c>.</summary>
    [JsonStringEnumMemberName("event")]
    Event,

    /// <summary>A request to <c>POST /api/hooks/{name}</c> signed with the trigger's secret.</summary>
    [JsonStringEnumMemberName("webhook")]
    Webhook,
}

/// <summary>What a cron trigger does with the scheduled times it missed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MissedTickPolicy>))]
public enum MissedTickPolicy
{
    /// <summary>Runs nothing for them; the next scheduled time fires as usual.</summary>
    [JsonStringEnumMemberName("skip")]
    Skip,

    /// <summary>Runs once for the latest of them (never once per missed time), then carries on.</summary>
    [JsonStringEnumMemberName("runOnce")]
    RunOnce,
}
