using System.Text.Json;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows;

/// <summary>
/// Where triggers live in the event store. <c>workflow-triggers</c> names every trigger once;
/// <c>workflow-trigger-{name}</c> holds its saved versions (the last event wins, a deletion
/// included); <c>workflow-trigger-ticks-{name}</c> holds a cron trigger's claimed scheduled times.
/// Appending a tick at the version the claimer read is the lease: of several servers that find the
/// same time due, exactly one append succeeds, and only that server starts the run.
/// </summary>
internal sealed class WorkflowTriggerStore(IEventStore events)
{
    public const string IndexStream = "workflow-triggers";

    private const string Named = "trigger.named";
    private const string Saved = "trigger.saved";
    private const string Deleted = "trigger.deleted";
    private const string TickFired = "tick.fired";
    private const string TickSkipped = "tick.skipped";

    /// <summary>Ticks kept per trigger before older ones are pruned (the last one is all the schedule needs).</summary>
    private const int TicksKept = 64;

    public static string StreamOf(string name) => $"workflow-trigger-{name}";

    public static string TicksOf(string name) => $"workflow-trigger-ticks-{name}";

    /// <summary>Every trigger not deleted, with its stream version.</summary>
    public async Task<IReadOnlyList<(StoredTrigger Trigger, long Version)>> LoadAllAsync(CancellationToken cancellationToken)
    {
        var result = new List<(StoredTrigger, long)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var named in await events.LoadAsync(IndexStream, 1, cancellationToken).ConfigureAwait(false))
        {
            if (named.Payload.Deserialize<NameEntry>(OrbitMeshJson.Options)?.Name is { } name && seen.Add(name)
                && await LoadAsync(name, cancellationToken).ConfigureAwait(false) is { Trigger: { } trigger } loaded)
            {
                result.Add((trigger, loaded.Version));
            }
        }

        return result;
    }

    /// <summary>A trigger (null when it never existed or was deleted) and its stream version.</summary>
    public async Task<(StoredTrigger? Trigger, long Version)> LoadAsync(string name, CancellationToken cancellationToken)
    {
        var stream = await events.LoadAsync(StreamOf(name), 1, cancellationToken).ConfigureAwait(false);
        if (stream.Count == 0)
        {
            return (null, 0);
        }

        var last = stream[^1];
        return last.Type == Saved
            ? (last.Payload.Deserialize<StoredTrigger>(WorkflowTriggerJson.Options), last.Sequence)
            : (null, last.Sequence);
    }

    /// <summary>Saves a trigger over the version read; false when someone else changed it meanwhile.</summary>
    public async Task<bool> SaveAsync(StoredTrigger trigger, long expectedVersion, CancellationToken cancellationToken)
    {
        try
        {
            await events.AppendAsync(StreamOf(trigger.Trigger.Name), expectedVersion, [new EventData(Saved, JsonSerializer.SerializeToElement(trigger, WorkflowTriggerJson.Options))], cancellationToken).ConfigureAwait(false);
        }
        catch (EventStoreConcurrencyException)
        {
            return false;
        }

        if (expectedVersion == 0)
        {
            await AppendIndexAsync(trigger.Trigger.Name, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Deletes a trigger read at a version; false when someone else changed it meanwhile. Its ticks stay, so a trigger saved again under the name does not fire times already fired.</summary>
    public async Task<bool> DeleteAsync(string name, long expectedVersion, CancellationToken cancellationToken)
    {
        try
        {
            await events.AppendAsync(StreamOf(name), expectedVersion, [new EventData(Deleted, JsonSerializer.SerializeToElement(new NameEntry(name), OrbitMeshJson.Options))], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (EventStoreConcurrencyException)
        {
            return false;
        }
    }

    /// <summary>A cron trigger's last claimed tick (null when none) and its tick stream version.</summary>
    public async Task<(TriggerTick? Tick, long Version)> LastTickAsync(string name, CancellationToken cancellationToken)
    {
        var stream = TicksOf(name);
        var version = await events.GetVersionAsync(stream, cancellationToken).ConfigureAwait(false);
        if (version == 0)
        {
            return (null, 0);
        }

        var last = await events.LoadAsync(stream, version, cancellationToken).ConfigureAwait(false);
        return last.Count == 0 ? (null, version) : (last[^1].Payload.Deserialize<TriggerTick>(WorkflowTriggerJson.Options), version);
    }

    /// <summary>Claims a tick over the tick stream version read; false when another server claimed one meanwhile.</summary>
    public async Task<bool> ClaimTickAsync(string name, long expectedVersion, TriggerTick tick, CancellationToken cancellationToken)
    {
        var stream = TicksOf(name);
        long version;
        try
        {
            version = await events.AppendAsync(stream, expectedVersion, [new EventData(tick.RunId is null ? TickSkipped : TickFired, JsonSerializer.SerializeToElement(tick, WorkflowTriggerJson.Options))], cancellationToken).ConfigureAwait(false);
        }
        catch (EventStoreConcurrencyException)
        {
            return false;
        }

        if (version % TicksKept == 0)
        {
            await events.PruneAsync(stream, version - 1, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private async Task AppendIndexAsync(string name, CancellationToken cancellationToken)
    {
        var entry = new EventData(Named, JsonSerializer.SerializeToElement(new NameEntry(name), OrbitMeshJson.Options));
        for (var attempt = 0; ; attempt++)
        {
            var version = await events.GetVersionAsync(IndexStream, cancellationToken).ConfigureAwait(false);
            try
            {
                await events.AppendAsync(IndexStream, version, [entry], cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EventStoreConcurrencyException) when (attempt < 10)
            {
                // Another writer appended between our read and our write; read the version again.
            }
        }
    }

    private sealed record NameEntry(string Name);
}

/// <summary>A trigger as stored: the definition and what the server adds to it.</summary>
internal sealed record StoredTrigger
{
    public required WorkflowTrigger Trigger { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When it was last enabled (or created enabled): a cron trigger fires no time before it.</summary>
    public DateTimeOffset EnabledAt { get; init; }

    /// <summary>A webhook trigger's secret, encrypted by the <see cref="IWorkflowSecretProtector"/>.</summary>
    public string? ProtectedSecret { get; init; }
}

/// <summary>A scheduled time a cron trigger claimed: fired (with its run) or skipped (missed while down).</summary>
internal sealed record TriggerTick
{
    public DateTimeOffset ScheduledAt { get; init; }

    public DateTimeOffset ClaimedAt { get; init; }

    /// <summary>The run it started; null for skipped times.</summary>
    public string? RunId { get; init; }

    /// <summary>How many scheduled times this claim covers that did not run (missed while down).</summary>
    public int Missed { get; init; }
}
