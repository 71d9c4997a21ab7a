using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>
/// Starts the run a trigger fired: its parameters are the trigger's, the payload's members over
/// them, and <c>trigger</c> (name, kind, when, and what fired it). Remembers each trigger's latest
/// firing for <c>triggers list</c>.
/// </summary>
internal sealed partial class TriggerRunStarter(WorkflowEngine engine, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, TriggerActivity> _activity = new(StringComparer.Ordinal);

    public TriggerActivity? ActivityOf(string name) => _activity.GetValueOrDefault(name);

    /// <summary>
    /// Starts a run. With a derived <paramref name="runId"/> it starts at most once (another server, or
    /// an earlier attempt, may have started it: then <see cref="TriggerFiring.Started"/> is false).
    /// Refusals (no such workflow, a missing parameter, too many runs) are returned, not thrown.
    /// </summary>
    public async Task<TriggerFiring> StartAsync(WorkflowTrigger trigger, string? runId, JsonElement? payload, JsonObject meta, CancellationToken cancellationToken)
    {
        var firedAt = time.GetUtcNow();
        meta["name"] = trigger.Name;
        meta["kind"] = JsonSerializer.SerializeToNode(trigger.Kind, WorkflowTriggerJson.Options);
        meta["firedAt"] = firedAt;
        var parameters = Parameters(trigger, payload, meta);
        TriggerFiring firing;
        try
        {
            if (runId is null)
            {
                var run = await engine.StartRunAsync(trigger.Workflow, parameters, trigger.Version, cancellationToken).ConfigureAwait(false);
                firing = new TriggerFiring(trigger.Name, run.RunId, true, null);
            }
            else
            {
                var (run, started) = await engine.StartRunOnceAsync(runId, trigger.Workflow, trigger.Version, parameters, cancellationToken).ConfigureAwait(false);
                firing = new TriggerFiring(trigger.Name, run.RunId, started, null);
            }
        }
        catch (OrbitMeshException ex)
        {
            firing = new TriggerFiring(trigger.Name, null, false, ex is WorkflowValidationException invalid && invalid.Errors.Count > 0
                ? string.Join("; ", invalid.Errors.Select(e => e.Message))
                : ex.Message);
            Log.StartRefused(logger, trigger.Name, trigger.Workflow, firing.Error!);
        }

        if (firing.Started || firing.Error is not null)
        {
            _activity.AddOrUpdate(
                trigger.Name,
                _ => new TriggerActivity(firedAt, firing.RunId, firing.Error, firing.Started ? 1 : 0, firing.Error is null ? 0 : 1),
                (_, old) => new TriggerActivity(firedAt, firing.RunId ?? old.LastRunId, firing.Error, old.Runs + (firing.Started ? 1 : 0), old.Refusals + (firing.Error is null ? 0 : 1)));
        }

        if (firing.Started)
        {
            Log.Fired(logger, trigger.Name, firing.RunId!, trigger.Workflow);
        }

        return firing;
    }

    /// <summary>Records a refusal that happened before a run could be started (a filter that failed, a chain too deep).</summary>
    public TriggerFiring Refuse(WorkflowTrigger trigger, string error)
    {
        _activity.AddOrUpdate(
            trigger.Name,
            _ => new TriggerActivity(time.GetUtcNow(), null, error, 0, 1),
            (_, old) => old with { LastFiredAt = time.GetUtcNow(), LastError = error, Refusals = old.Refusals + 1 });
        Log.StartRefused(logger, trigger.Name, trigger.Workflow, error);
        return new TriggerFiring(trigger.Name, null, false, error);
    }

    internal static JsonElement Parameters(WorkflowTrigger trigger, JsonElement? payload, JsonObject meta)
    {
        var given = StepExecutor.MergeParameters(trigger.Parameters, payload is { ValueKind: JsonValueKind.Object } ? payload : null);
        var server = JsonSerializer.SerializeToElement(new JsonObject { ["trigger"] = meta });
        return StepExecutor.MergeParameters(given, server)!.Value;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "Trigger {Trigger} started run {RunId} of {Workflow}")]
        public static partial void Fired(ILogger logger, string trigger, string runId, string workflow);

        [LoggerMessage(EventId = 4031, Level = LogLevel.Warning, Message = "Trigger {Trigger} could not start a run of {Workflow}: {Reason}")]
        public static partial void StartRefused(ILogger logger, string trigger, string workflow, string reason);
    }
}

/// <summary>What one firing of a trigger did: the run it started (or found started), or why it started none.</summary>
/// <param name="Trigger">The trigger.</param>
/// <param name="RunId">The run, when there is one.</param>
/// <param name="Started">Whether this firing started it (false when it had been started already, or refused).</param>
/// <param name="Error">Why no run was started, or null.</param>
public sealed record TriggerFiring(string Trigger, string? RunId, bool Started, string? Error);

/// <summary>A trigger's latest firing on this server since it started, and how many runs it started and was refused.</summary>
public sealed record TriggerActivity(DateTimeOffset LastFiredAt, string? LastRunId, string? LastError, long Runs, long Refusals);
