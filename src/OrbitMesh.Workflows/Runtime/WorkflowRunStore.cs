using System.Text.Json;
using OrbitMesh.Storage;

namespace OrbitMesh.Workflows;

/// <summary>
/// Where runs live in the event store: each run is the stream <c>workflow-run-{runId}</c>, and the
/// stream <c>workflow-runs</c> indexes them (one <c>run.created</c> and one <c>run.ended</c> per run)
/// so that the engine finds the unfinished runs after a restart without scanning every stream.
/// </summary>
public sealed class WorkflowRunStore(IEventStore events)
{
    /// <summary>The index stream.</summary>
    public const string IndexStream = "workflow-runs";

    private const string IndexCreated = "run.created";
    private const string IndexEnded = "run.ended";
    private const string IndexReopened = "run.reopened";

    private readonly List<(EventData Data, TaskCompletionSource Written)> _pending = [];
    private bool _writing;

    /// <summary>The stream of a run.</summary>
    public static string StreamOf(string runId) => $"workflow-run-{runId}";

    /// <summary>Appends events to a run whose stream is at <paramref name="expectedVersion"/>; returns the new version.</summary>
    public async ValueTask<long> AppendAsync(string runId, long expectedVersion, IReadOnlyList<WorkflowRunEvent> runEvents, CancellationToken cancellationToken)
    {
        var data = new EventData[runEvents.Count];
        for (var i = 0; i < runEvents.Count; i++)
        {
            data[i] = new EventData(runEvents[i].Type, JsonSerializer.SerializeToElement(runEvents[i] with { Sequence = 0 }, OrbitMeshJson.Options));
        }

        return await events.AppendAsync(StreamOf(runId), expectedVersion, data, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A run's events from <paramref name="fromSequence"/>, each with its sequence and timestamp.</summary>
    public async ValueTask<IReadOnlyList<WorkflowRunEvent>> LoadAsync(string runId, long fromSequence, CancellationToken cancellationToken)
    {
        var stored = await events.LoadAsync(StreamOf(runId), fromSequence, cancellationToken).ConfigureAwait(false);
        var result = new WorkflowRunEvent[stored.Count];
        for (var i = 0; i < stored.Count; i++)
        {
            var e = stored[i].Payload.Deserialize<WorkflowRunEvent>(OrbitMeshJson.Options)
                ?? throw new WorkflowReplayException(runId, $"event {stored[i].Sequence} is empty");
            result[i] = e with { Sequence = stored[i].Sequence, Timestamp = e.Timestamp == default ? stored[i].Timestamp : e.Timestamp };
        }

        return result;
    }

    /// <summary>The run's state, or null when no run has that id.</summary>
    public async ValueTask<WorkflowRunState?> LoadStateAsync(string runId, CancellationToken cancellationToken)
    {
        var history = await LoadAsync(runId, 1, cancellationToken).ConfigureAwait(false);
        return history.Count == 0 ? null : WorkflowRunState.Replay(runId, history);
    }

    /// <summary>Records a new run in the index.</summary>
    public ValueTask IndexCreatedAsync(WorkflowRunSummary summary, CancellationToken cancellationToken) =>
        AppendIndexAsync(new EventData(IndexCreated, JsonSerializer.SerializeToElement(summary, OrbitMeshJson.Options)), cancellationToken);

    /// <summary>Records a run's end in the index.</summary>
    public ValueTask IndexEndedAsync(string runId, WorkflowRunStatus status, CancellationToken cancellationToken) =>
        AppendIndexAsync(new EventData(IndexEnded, JsonSerializer.SerializeToElement(new IndexEnd(runId, status), OrbitMeshJson.Options)), cancellationToken);

    /// <summary>Records that an ended run is running again (a rollback of a succeeded run), so a restart resumes it.</summary>
    public ValueTask IndexReopenedAsync(string runId, CancellationToken cancellationToken) =>
        AppendIndexAsync(new EventData(IndexReopened, JsonSerializer.SerializeToElement(new IndexEnd(runId, WorkflowRunStatus.Compensating), OrbitMeshJson.Options)), cancellationToken);

    /// <summary>Every indexed run, oldest first, with its status as far as the index knows.</summary>
    public async ValueTask<IReadOnlyList<WorkflowRunSummary>> LoadIndexAsync(CancellationToken cancellationToken)
    {
        var stored = await events.LoadAsync(IndexStream, 1, cancellationToken).ConfigureAwait(false);
        var runs = new Dictionary<string, WorkflowRunSummary>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in stored)
        {
            if (e.Type == IndexCreated && e.Payload.Deserialize<WorkflowRunSummary>(OrbitMeshJson.Options) is { } created)
            {
                if (runs.TryAdd(created.RunId, created))
                {
                    order.Add(created.RunId);
                }
            }
            else if (e.Type == IndexEnded && e.Payload.Deserialize<IndexEnd>(OrbitMeshJson.Options) is { } ended
                && runs.TryGetValue(ended.RunId, out var known))
            {
                runs[ended.RunId] = known with { Status = ended.Status, FinishedAt = e.Timestamp };
            }
            else if (e.Type == IndexReopened && e.Payload.Deserialize<IndexEnd>(OrbitMeshJson.Options) is { } reopened
                && runs.TryGetValue(reopened.RunId, out var ended2))
            {
                runs[reopened.RunId] = ended2 with { Status = reopened.Status, FinishedAt = null };
            }
        }

        return [.. order.Select(id => runs[id])];
    }

    /// <summary>
    /// Queues an index entry and waits until it is written. Entries queued while an append is under way
    /// go together in the next one (group commit): the index is one stream, and one append per run start
    /// and end would make it every run's bottleneck.
    /// </summary>
    private async ValueTask AppendIndexAsync(EventData data, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            _pending.Add((data, written));
            if (!_writing)
            {
                _writing = true;
                _ = Task.Run(WriteIndexAsync, CancellationToken.None);
            }
        }

        await written.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteIndexAsync()
    {
        while (true)
        {
            (EventData Data, TaskCompletionSource Written)[] batch;
            lock (_pending)
            {
                if (_pending.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = [.. _pending];
                _pending.Clear();
            }

            try
            {
                // One writer loop at a time (_writing), so only another server can race this append.
                for (var attempt = 0; ; attempt++)
                {
                    var version = await events.GetVersionAsync(IndexStream).ConfigureAwait(false);
                    try
                    {
                        await events.AppendAsync(IndexStream, version, [.. batch.Select(b => b.Data)]).ConfigureAwait(false);
                        break;
                    }
                    catch (EventStoreConcurrencyException) when (attempt < 10)
                    {
                        // Another writer appended between our read and our write; read the version again.
                    }
                }

                foreach (var (_, written) in batch)
                {
                    written.TrySetResult();
                }
            }
#pragma warning disable CA1031 // The failure goes to every caller whose entry was in the batch.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var (_, written) in batch)
                {
                    written.TrySetException(ex);
                }
            }
        }
    }

    private sealed record IndexEnd(string RunId, WorkflowRunStatus Status);
}

/// <summary>A run as the index and the run list show it.</summary>
public sealed record WorkflowRunSummary
{
    /// <summary>The run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>The workflow's name.</summary>
    public required string Workflow { get; init; }

    /// <summary>The definition version.</summary>
    public int Version { get; init; }

    /// <summary>Where the run is.</summary>
    public WorkflowRunStatus Status { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}
