using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrbitMesh.Workflows;

/// <summary>
/// The triggers of a server: create, change, enable, disable and delete them, fire one by hand,
/// post events, and accept webhook deliveries. Registered by <c>AddOrbitMeshWorkflows()</c>; the
/// REST API (<c>/api/triggers</c>, <c>/api/events</c>, <c>/api/hooks/{name}</c>) and the CLI
/// (<c>orbitmesh triggers</c>, <c>orbitmesh events post</c>) call it.
/// </summary>
public sealed class WorkflowTriggers
{
    private readonly TriggerRegistry _registry;
    private readonly WorkflowTriggerStore _store;
    private readonly TriggerRunStarter _starter;
    private readonly CronTriggerScheduler _scheduler;
    private readonly EventTriggerDispatcher _events;
    private readonly WebhookReceiver _webhooks;

    internal WorkflowTriggers(TriggerServices services)
    {
        _registry = services.Registry;
        _store = services.Store;
        _starter = services.Starter;
        _scheduler = services.Scheduler;
        _events = services.Events;
        _webhooks = services.Webhooks;
        Engine = services.Engine;
        Options = services.Options;
        Protector = services.Protector;
        Time = services.Time;
    }

    /// <summary>The trigger options in force.</summary>
    public WorkflowTriggerOptions Options { get; }

    private WorkflowEngine Engine { get; }

    private IWorkflowSecretProtector? Protector { get; }

    private TimeProvider Time { get; }

    /// <summary>Every trigger with its state, by name.</summary>
    public async Task<IReadOnlyList<WorkflowTriggerInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<WorkflowTriggerInfo>(_registry.Count);
        foreach (var entry in _registry.All.OrderBy(entry => entry.Trigger.Name, StringComparer.Ordinal))
        {
            result.Add(await InfoAsync(entry, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>A trigger with its state, or null.</summary>
    public async Task<WorkflowTriggerInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return _registry.Find(name) is { } entry ? await InfoAsync(entry, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// Creates a trigger, or replaces the one with its name (keeping a webhook's secret). The workflow
    /// must be registered. A new webhook trigger gets a secret, returned here once and never again.
    /// </summary>
    /// <exception cref="WorkflowValidationException">The trigger is invalid, or its workflow is not registered.</exception>
    /// <exception cref="MeshQueueFullException">The server holds <see cref="WorkflowTriggerOptions.MaxTriggers"/> triggers already.</exception>
    public async Task<SavedTrigger> SaveAsync(WorkflowTrigger trigger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var now = Time.GetUtcNow();
        WorkflowTriggerValidator.ThrowIfInvalid(trigger, now);
        if (await Engine.Definitions.GetAsync(trigger.Workflow, trigger.Version, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new WorkflowValidationException(trigger.Name, [new WorkflowValidationError(WorkflowErrorCodes.InvalidName, trigger.Version is { } v
                ? $"Workflow '{trigger.Workflow}' has no version {v}; register it first (orbitmesh workflows apply FILE)."
                : $"No workflow named '{trigger.Workflow}' is registered; register it first (orbitmesh workflows apply FILE).") { Path = trigger.Version is null ? "/workflow" : "/version" }]);
        }

        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (_registry.Find(trigger.Name) is null && _registry.Count >= Options.MaxTriggers)
        {
            throw new MeshQueueFullException($"The server holds {_registry.Count} triggers, the most it allows (MaxTriggers); delete some first.", TimeSpan.Zero);
        }

        string? secret = null;
        var created = false;
        await _registry.UpdateAsync(trigger.Name, current =>
        {
            created = current is null;
            var sealedSecret = current?.ProtectedSecret;
            secret = null;
            if (trigger.Kind == WorkflowTriggerKind.Webhook && sealedSecret is null)
            {
                secret = NewSecret();
                sealedSecret = ProtectorOrThrow(trigger.Name).Protect(secret);
            }

            return new StoredTrigger
            {
                Trigger = trigger,
                CreatedAt = current?.CreatedAt ?? now,
                UpdatedAt = now,
                EnabledAt = trigger.Enabled && current?.Trigger.Enabled != true ? now : current?.EnabledAt ?? now,
                ProtectedSecret = trigger.Kind == WorkflowTriggerKind.Webhook ? sealedSecret : null,
            };
        }, cancellationToken).ConfigureAwait(false);
        return new SavedTrigger(trigger.Name, created, secret);
    }

    /// <summary>Gives a webhook trigger a new secret (the old one stops working at once) and returns it, once.</summary>
    /// <exception cref="WorkflowNotFoundException">No webhook trigger has the name.</exception>
    public async Task<SavedTrigger> RotateSecretAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var secret = NewSecret();
        var sealedSecret = ProtectorOrThrow(name).Protect(secret);
        await ChangeAsync(name, stored => stored.Trigger.Kind == WorkflowTriggerKind.Webhook
            ? stored with { ProtectedSecret = sealedSecret, UpdatedAt = Time.GetUtcNow() }
            : throw new WorkflowRunStateException($"The trigger '{name}' is a {stored.Trigger.Kind.ToString().ToLowerInvariant()} trigger; only webhook triggers have a secret."), cancellationToken).ConfigureAwait(false);
        return new SavedTrigger(name, false, secret);
    }

    /// <summary>Enables or disables a trigger. A cron trigger enabled again fires no time that passed while it was disabled.</summary>
    /// <exception cref="WorkflowNotFoundException">No trigger has the name.</exception>
    public async Task<WorkflowTriggerInfo> SetEnabledAsync(string name, bool enabled, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var entry = await ChangeAsync(name, stored => stored.Trigger.Enabled == enabled ? stored : stored with
        {
            Trigger = stored.Trigger with { Enabled = enabled },
            UpdatedAt = Time.GetUtcNow(),
            EnabledAt = enabled ? Time.GetUtcNow() : stored.EnabledAt,
        }, cancellationToken).ConfigureAwait(false);
        return await InfoAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a trigger; returns false when there was none. Runs it started are not touched.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var existed = false;
        await _registry.UpdateAsync(name, current =>
        {
            existed = current is not null;
            return null;
        }, cancellationToken).ConfigureAwait(false);
        return existed;
    }

    /// <summary>
    /// Fires a trigger by hand (any kind; a disabled one is refused): starts a run with the trigger's
    /// parameters and <paramref name="payload"/>'s members over them.
    /// </summary>
    /// <exception cref="WorkflowNotFoundException">No trigger has the name.</exception>
    /// <exception cref="WorkflowRunStateException">The trigger is disabled.</exception>
    public async Task<TriggerFiring> FireAsync(string name, JsonElement? payload = null, string? actor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var entry = _registry.Find(name) ?? throw Unknown(name);
        if (!entry.Trigger.Enabled)
        {
            throw new WorkflowRunStateException($"The trigger '{name}' is disabled; enable it first (orbitmesh triggers enable {name}).");
        }

        if (payload is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined) } given)
        {
            throw new WorkflowValidationException(name, [new WorkflowValidationError(WorkflowErrorCodes.InvalidParameters, $"The payload must be a JSON object, not {given.ValueKind.ToString().ToLowerInvariant()}.")]);
        }

        var meta = new JsonObject { ["manual"] = true, ["actor"] = actor, ["depth"] = 0 };
        return await _starter.StartAsync(entry.Trigger, null, payload, meta, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Posts an event: every enabled event trigger it matches (and whose filter passes) starts a run before this returns.</summary>
    /// <exception cref="WorkflowValidationException">The type is not valid or is reserved, or the data is not an object or too large.</exception>
    public Task<IReadOnlyList<TriggerFiring>> PostEventAsync(MeshEvent meshEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(meshEvent);
        var errors = new List<WorkflowValidationError>();
        if (!WorkflowTriggerValidator.IsEventType(meshEvent.Type))
        {
            errors.Add(new WorkflowValidationError(WorkflowErrorCodes.InvalidName, $"The event type '{meshEvent.Type}' is not valid: 1 to 100 lower-case letters, digits, '.', '_' or '-'.") { Path = "/type" });
        }
        else if (MeshEventTypes.IsReserved(meshEvent.Type))
        {
            errors.Add(new WorkflowValidationError(WorkflowErrorCodes.InvalidName, $"The event type '{meshEvent.Type}' is reserved for the server's own events ({string.Join(", ", MeshEventTypes.ReservedPrefixes.Select(p => p + "*"))}).") { Path = "/type" });
        }

        if (meshEvent.Data is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined) } data)
        {
            errors.Add(new WorkflowValidationError(WorkflowErrorCodes.InvalidParameters, $"The event data must be a JSON object, not {data.ValueKind.ToString().ToLowerInvariant()}.") { Path = "/data" });
        }
        else if (meshEvent.Data is { ValueKind: JsonValueKind.Object } obj && obj.GetRawText().Length > Options.MaxEventDataBytes)
        {
            errors.Add(new WorkflowValidationError(WorkflowErrorCodes.OverLimit, $"The event data is larger than {Options.MaxEventDataBytes:N0} bytes (MaxEventDataBytes).") { Path = "/data" });
        }

        if (errors.Count > 0)
        {
            throw new WorkflowValidationException(null, errors);
        }

        return _events.DispatchAsync(meshEvent with { Depth = 0, Timestamp = meshEvent.Timestamp == default ? Time.GetUtcNow() : meshEvent.Timestamp }, cancellationToken);
    }

    /// <summary>Queues one of the server's own events (agent, job, run) for the event triggers, without waiting.</summary>
    public void Raise(MeshEvent meshEvent)
    {
        ArgumentNullException.ThrowIfNull(meshEvent);
        _events.Enqueue(meshEvent.Timestamp == default ? meshEvent with { Timestamp = Time.GetUtcNow() } : meshEvent);
    }

    /// <summary>Checks a webhook delivery's signature, timestamp and freshness, and starts its run.</summary>
    public Task<WebhookOutcome> AcceptWebhookAsync(string name, string? timestamp, string? signature, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _webhooks.AcceptAsync(name, timestamp, signature, body, cancellationToken);
    }

    /// <summary>The <c>X-OrbitMesh-Signature</c> value for a delivery: <c>sha256=</c> and the hex HMAC-SHA256 of <c>"{timestamp}.{body}"</c>.</summary>
    public static string Signature(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(timestamp);
        return "sha256=" + Convert.ToHexStringLower(WebhookReceiver.Sign(secret, timestamp, body));
    }

    private async Task<TriggerEntry> ChangeAsync(string name, Func<StoredTrigger, StoredTrigger> change, CancellationToken cancellationToken)
    {
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return await _registry.UpdateAsync(name, current => current is null ? throw Unknown(name) : change(current), cancellationToken).ConfigureAwait(false)
            ?? throw Unknown(name);
    }

    private async Task<WorkflowTriggerInfo> InfoAsync(TriggerEntry entry, CancellationToken cancellationToken)
    {
        var trigger = entry.Trigger;
        TriggerTick? tick = null;
        if (trigger.Kind == WorkflowTriggerKind.Cron)
        {
            (tick, _) = await _store.LastTickAsync(trigger.Name, cancellationToken).ConfigureAwait(false);
        }

        var activity = _starter.ActivityOf(trigger.Name);
        return new WorkflowTriggerInfo
        {
            Trigger = trigger,
            CreatedAt = entry.Stored.CreatedAt,
            UpdatedAt = entry.Stored.UpdatedAt,
            NextFireAt = trigger is { Kind: WorkflowTriggerKind.Cron, Enabled: true } ? NextFireAt(entry, tick) : null,
            LastScheduledAt = tick?.ScheduledAt,
            LastClaimedAt = tick?.ClaimedAt,
            LastMissed = tick?.Missed,
            LastFiredAt = activity?.LastFiredAt,
            LastRunId = tick?.RunId ?? activity?.LastRunId,
            LastError = activity?.LastError,
            Runs = activity?.Runs ?? 0,
            Refusals = activity?.Refusals ?? 0,
            Schedulable = trigger.Kind != WorkflowTriggerKind.Cron || entry.Schedule is not null,
        };
    }

    /// <summary>
    /// The scheduler's next time, unless the store already holds a claim at or after it (the
    /// scheduler moves on just after its claim is written, or another server claimed it): then the
    /// next time after the last claim.
    /// </summary>
    private DateTimeOffset? NextFireAt(TriggerEntry entry, TriggerTick? tick) =>
        _scheduler.NextFireAt(entry.Trigger.Name) is { } planned && (tick is null || planned > tick.ScheduledAt)
            ? planned
            : entry.Schedule?.Next(Later(tick?.ScheduledAt, entry.Stored.EnabledAt));

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } value && value > b ? value : b;

    private IWorkflowSecretProtector ProtectorOrThrow(string name) => Protector ?? throw new WorkflowValidationException(name, [new WorkflowValidationError(
        WorkflowErrorCodes.InvalidSetting,
        "Webhook triggers need an IWorkflowSecretProtector to keep their secret encrypted; the OrbitMesh server registers one (AddOrbitMesh), a bare engine does not.")]);

    private static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static WorkflowNotFoundException Unknown(string name) => new($"No trigger is named '{name}'.");
}

/// <summary>A trigger saved: whether it is new, and a webhook's new secret (shown this once; null otherwise).</summary>
public sealed record SavedTrigger(string Name, bool Created, string? Secret);

/// <summary>A trigger and its state, as <c>triggers list</c> shows it.</summary>
public sealed record WorkflowTriggerInfo
{
    /// <summary>The trigger.</summary>
    public required WorkflowTrigger Trigger { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Cron: when it fires next.</summary>
    public DateTimeOffset? NextFireAt { get; init; }

    /// <summary>Cron: the last scheduled time claimed (by any server), fired or skipped.</summary>
    public DateTimeOffset? LastScheduledAt { get; init; }

    /// <summary>Cron: when that time was claimed (its delay is this minus <see cref="LastScheduledAt"/>).</summary>
    public DateTimeOffset? LastClaimedAt { get; init; }

    /// <summary>Cron: how many scheduled times the last claim covered that did not run (missed while down).</summary>
    public int? LastMissed { get; init; }

    /// <summary>When this server last fired it.</summary>
    public DateTimeOffset? LastFiredAt { get; init; }

    /// <summary>The last run it started.</summary>
    public string? LastRunId { get; init; }

    /// <summary>Why its last firing on this server started no run, or null.</summary>
    public string? LastError { get; init; }

    /// <summary>Runs it started on this server since the server started.</summary>
    public long Runs { get; init; }

    /// <summary>Firings on this server that started no run (a refusal, a failed filter) since the server started.</summary>
    public long Refusals { get; init; }

    /// <summary>False for a cron trigger whose time zone this server does not know (it fires nowhere that lacks it).</summary>
    public bool Schedulable { get; init; } = true;
}
