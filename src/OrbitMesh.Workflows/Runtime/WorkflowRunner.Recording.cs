namespace OrbitMesh.Workflows;

/// <summary>The runner's recording: every decision is applied to the state and written before it is acted on.</summary>
internal sealed partial class WorkflowRunner
{
    private WorkflowRunEvent Event(string type, string? stepId = null) => new() { Type = type, StepId = stepId, Timestamp = _time.GetUtcNow() };

    /// <summary>Applies an event to the state now; it is written by the next <see cref="FlushAsync"/>, before anything it decided is acted on.</summary>
    private void Record(WorkflowRunEvent e)
    {
        var applied = e with { Sequence = _state.LastSequence + 1 };
        _state.Apply(applied);
        _unflushed.Add(applied);
    }

    /// <summary>Writes the recorded events in one append, publishes them, then starts the attempts they decided.</summary>
    private async Task FlushAsync(CancellationToken stopping)
    {
        if (_unflushed.Count > 0)
        {
            var events = _unflushed.ToArray();
            _unflushed.Clear();
            await _store.AppendAsync(RunId, events[0].Sequence - 1, events, stopping).ConfigureAwait(false);
            Snapshot = _state.ToRun();
            _published(Snapshot, events);
        }

        if (_toLaunch.Count > 0)
        {
            var launches = _toLaunch.ToArray();
            _toLaunch.Clear();
            foreach (var launch in launches)
            {
                launch();
            }
        }
    }

    private async Task AppendAsync(List<WorkflowRunEvent> events, CancellationToken stopping)
    {
        foreach (var e in events)
        {
            Record(e);
        }

        await FlushAsync(stopping).ConfigureAwait(false);
    }
}
