using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>
/// Fires event triggers. A posted event is matched at once and its runs are started before the
/// caller hears back; built-in events (agents, jobs, runs) are raised where waiting is not allowed,
/// so they are queued (bounded) and matched by a background loop. Each trigger starts at most one
/// run per event id, and a chain of runs started by events ending is cut at
/// <see cref="WorkflowTriggerOptions.MaxEventChainDepth"/>.
/// </summary>
internal sealed partial class EventTriggerDispatcher : BackgroundService
{
    private readonly TriggerRegistry _registry;
    private readonly TriggerRunStarter _starter;
    private readonly WorkflowEngine _engine;
    private readonly WorkflowTriggerOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<MeshEvent> _queue;
    private long _dropped;

    public EventTriggerDispatcher(TriggerRegistry registry, TriggerRunStarter starter, WorkflowEngine engine, WorkflowTriggerOptions options, ILogger<EventTriggerDispatcher> logger)
    {
        _registry = registry;
        _starter = starter;
        _engine = engine;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<MeshEvent>(new BoundedChannelOptions(options.EventQueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    }

    /// <summary>Queues a built-in event without waiting; when the queue is full it is dropped and counted.</summary>
    public void Enqueue(MeshEvent meshEvent)
    {
        if (!_queue.Writer.TryWrite(meshEvent))
        {
            Log.Dropped(_logger, meshEvent.Type, Interlocked.Increment(ref _dropped));
        }
    }

    /// <summary>Matches an event against every enabled event trigger and starts the runs it fires.</summary>
    public async Task<IReadOnlyList<TriggerFiring>> DispatchAsync(MeshEvent meshEvent, CancellationToken cancellationToken)
    {
        await _registry.EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var matching = _registry.All
            .Where(entry => entry.Trigger is { Kind: WorkflowTriggerKind.Event, Enabled: true, Event: { } pattern } && WorkflowTriggerValidator.Matches(pattern, meshEvent.Type))
            .OrderBy(entry => entry.Trigger.Name, StringComparer.Ordinal)
            .ToList();
        if (matching.Count == 0)
        {
            return [];
        }

        var eventJson = JsonSerializer.SerializeToElement(new EventView(meshEvent.Id, meshEvent.Type, meshEvent.Source, meshEvent.Timestamp, meshEvent.Data, meshEvent.Depth), WorkflowTriggerJson.Options);
        var firings = new List<TriggerFiring>(matching.Count);
        foreach (var entry in matching)
        {
            var trigger = entry.Trigger;
            if (meshEvent.Depth >= _options.MaxEventChainDepth)
            {
                firings.Add(_starter.Refuse(trigger, $"the event '{meshEvent.Type}' comes from a chain of {meshEvent.Depth} triggered runs, the most allowed (MaxEventChainDepth); a trigger that reacts to its own runs would loop"));
                continue;
            }

            if (entry.Filter is { } filter)
            {
                bool pass;
                try
                {
                    pass = filter.EvaluateCondition(new ExpressionScope { Event = eventJson });
                }
                catch (WorkflowExpressionException ex)
                {
                    firings.Add(_starter.Refuse(trigger, $"its filter failed on event {meshEvent.Id}: {ex.Message}"));
                    continue;
                }

                if (!pass)
                {
                    continue;
                }
            }

            var meta = new JsonObject
            {
                ["event"] = new JsonObject { ["id"] = meshEvent.Id, ["type"] = meshEvent.Type, ["source"] = meshEvent.Source, ["timestamp"] = meshEvent.Timestamp },
                ["depth"] = meshEvent.Depth + 1,
            };
            var runId = MeshIds.Derived("wfr", meshEvent.Timestamp, $"event|{trigger.Name}|{meshEvent.Id}");
            firings.Add(await _starter.StartAsync(trigger, runId, meshEvent.Data, meta, cancellationToken).ConfigureAwait(false));
        }

        return firings;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _engine.RunFinished += OnRunFinished;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _engine.RunFinished -= OnRunFinished;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run's end as an event: <c>workflow.completed</c> or <c>workflow.failed</c>, with the run's trigger depth.</summary>
    internal static MeshEvent RunEvent(WorkflowRun run) => new()
    {
        Id = "evt_" + run.RunId,
        Type = run.Status == WorkflowRunStatus.Succeeded ? MeshEventTypes.WorkflowCompleted : MeshEventTypes.WorkflowFailed,
        Source = "server",
        Timestamp = run.FinishedAt ?? run.StartedAt,
        Data = JsonSerializer.SerializeToElement(new RunView(run.RunId, run.Workflow, run.Version, WorkflowStatusNames.Of(run.Status), run.Reason), WorkflowTriggerJson.Options),
        Depth = run.Parameters is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("trigger", out var trigger) && trigger.ValueKind == JsonValueKind.Object
            && trigger.TryGetProperty("depth", out var depth) && depth.TryGetInt32(out var d) ? d : 0,
    };

    private void OnRunFinished(object? sender, WorkflowRun run) => Enqueue(RunEvent(run));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var meshEvent in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await DispatchAsync(meshEvent, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // One event's failure (a store outage) must not stop the others.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.DispatchFailed(_logger, meshEvent.Type, meshEvent.Id, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private sealed record RunView(string RunId, string Workflow, int Version, string Status, string? Reason);

    private sealed record EventView(string Id, string Type, string? Source, DateTimeOffset Timestamp, JsonElement? Data, int Depth);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4050, Level = LogLevel.Warning, Message = "The event queue is full; dropped a {Type} event ({Dropped} dropped so far)")]
        public static partial void Dropped(ILogger logger, string type, long dropped);

        [LoggerMessage(EventId = 4051, Level = LogLevel.Error, Message = "Event triggers failed on {Type} event {EventId}")]
        public static partial void DispatchFailed(ILogger logger, string type, string eventId, Exception exception);
    }
}
