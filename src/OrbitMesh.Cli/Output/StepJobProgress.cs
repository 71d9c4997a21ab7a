using System.Collections.Concurrent;
using OrbitMesh.Workflows;

namespace OrbitMesh.Cli.Output;

/// <summary>
/// The latest progress of the jobs a run's running steps execute, for <c>workflows run --wait</c>'s live
/// table: one job watch per step job (replayed from its first event, so a fast job's progress is not
/// missed), each calling <paramref name="changed"/> when a report arrives. Progress is only shown, so a
/// watch that fails is dropped without a word; the run's own events decide the outcome.
/// </summary>
internal sealed class StepJobProgress(IMeshClient mesh, Action changed, CancellationToken cancellationToken) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, JobEvent> _latest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _watches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

    /// <summary>Starts watching the job of every running step not watched yet.</summary>
    public void Follow(WorkflowRun run)
    {
        foreach (var step in run.Steps)
        {
            if (step.Status == WorkflowStepStatus.Running && step.JobId is { } jobId && !_watches.ContainsKey(jobId))
            {
                _watches.TryAdd(jobId, WatchAsync(jobId));
            }
        }
    }

    /// <summary>The latest progress of a job, or null when it has reported none.</summary>
    public (double? Percent, string? Message)? Of(string jobId) =>
        _latest.TryGetValue(jobId, out var e) ? (e.Percent, e.Message) : null;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_watches.Values).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task WatchAsync(string jobId)
    {
        await Task.Yield();
        try
        {
            await foreach (var e in mesh.WatchJobAsync(jobId, _stop.Token).ConfigureAwait(false))
            {
                if (e.Type == JobEventType.Progress)
                {
                    _latest[jobId] = e;
                    changed();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or OrbitMeshException or HttpRequestException or IOException)
        {
            // Shown only; the run's events carry what matters.
        }
    }
}
