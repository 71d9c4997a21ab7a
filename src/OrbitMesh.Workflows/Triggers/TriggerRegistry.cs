using System.Collections.Concurrent;

namespace OrbitMesh.Workflows;

/// <summary>
/// The triggers this server knows, read from the store and kept with their parsed schedule and
/// filter. Changes go to the store first (over the version read, so that two servers editing one
/// trigger cannot overwrite each other unseen) and then here; <see cref="RefreshAsync"/> picks up
/// the changes other servers made.
/// </summary>
internal sealed class TriggerRegistry(WorkflowTriggerStore store, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, TriggerEntry> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _loaded;

    /// <summary>Raised after a trigger was saved, enabled, disabled or deleted here, or a refresh found changes.</summary>
    public event Action? Changed;

    public ICollection<TriggerEntry> All => _entries.Values;

    public int Count => _entries.Count;

    public TriggerEntry? Find(string name) => _entries.GetValueOrDefault(name);

    public async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads every trigger from the store again; returns whether anything changed.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool changed;
        try
        {
            var stored = await store.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            changed = !_loaded || stored.Count != _entries.Count;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (trigger, version) in stored)
            {
                names.Add(trigger.Trigger.Name);
                // A version only grows: an older one read here never replaces what a save put in meanwhile.
                if (!_entries.TryGetValue(trigger.Trigger.Name, out var known) || known.Version < version)
                {
                    _entries[trigger.Trigger.Name] = TriggerEntry.Create(trigger, version, time.GetUtcNow());
                    changed = true;
                }
            }

            foreach (var name in _entries.Keys.Where(name => !names.Contains(name)).ToList())
            {
                changed |= _entries.TryRemove(name, out _);
            }

            _loaded = true;
        }
        finally
        {
            _lock.Release();
        }

        if (changed)
        {
            Changed?.Invoke();
        }

        return changed;
    }

    /// <summary>
    /// Changes one trigger: <paramref name="change"/> gets the stored trigger (null when there is none)
    /// and returns the new one, or null to delete it. Retried when another server changed it meanwhile.
    /// </summary>
    public async Task<TriggerEntry?> UpdateAsync(string name, Func<StoredTrigger?, StoredTrigger?> change, CancellationToken cancellationToken)
    {
        // One change or refresh at a time: a refresh that read the store before this change was
        // written must not put the old trigger back (or drop a new one) after it.
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        TriggerEntry? entry;
        try
        {
            entry = await UpdateCoreAsync(name, change, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }

        Changed?.Invoke();
        return entry;
    }

    private async Task<TriggerEntry?> UpdateCoreAsync(string name, Func<StoredTrigger?, StoredTrigger?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (current, version) = await store.LoadAsync(name, cancellationToken).ConfigureAwait(false);
            var next = change(current);
            bool written;
            if (next is null)
            {
                written = current is null || await store.DeleteAsync(name, version, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                written = await store.SaveAsync(next, version, cancellationToken).ConfigureAwait(false);
            }

            if (!written)
            {
                if (attempt < 5)
                {
                    continue;
                }

                throw new WorkflowRunStateException($"The trigger '{name}' is being changed by someone else at the same time; try again.");
            }

            TriggerEntry? entry = null;
            if (next is null)
            {
                _entries.TryRemove(name, out _);
            }
            else
            {
                entry = TriggerEntry.Create(next, version + 1, time.GetUtcNow());
                _entries[name] = entry;
            }

            return entry;
        }
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>A known trigger with its store version and what was parsed from it once.</summary>
internal sealed record TriggerEntry(StoredTrigger Stored, long Version, CronSchedule? Schedule, WorkflowExpression? Filter)
{
    public WorkflowTrigger Trigger => Stored.Trigger;

    public static TriggerEntry Create(StoredTrigger stored, long version, DateTimeOffset now)
    {
        var trigger = stored.Trigger;
        CronSchedule? schedule = null;
        WorkflowExpression? filter = null;
        try
        {
            schedule = trigger is { Kind: WorkflowTriggerKind.Cron, Schedule: { } text } ? CronSchedule.Parse(text, trigger.TimeZone, now) : null;
            filter = trigger is { Kind: WorkflowTriggerKind.Event, Filter: { } expression } ? WorkflowExpression.Parse(expression) : null;
        }
        catch (Exception ex) when (ex is FormatException or WorkflowExpressionException)
        {
            // Valid when stored; a time zone this machine lacks leaves the trigger inert here, and the
            // scheduler reports it (TriggerEntry.Schedule is null for a cron trigger).
        }

        return new TriggerEntry(stored, version, schedule, filter);
    }
}
