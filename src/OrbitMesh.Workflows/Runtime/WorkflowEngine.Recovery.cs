namespace OrbitMesh.Workflows;

/// <summary>The engine's recovery: resuming unfinished runs from their histories, and rolling back succeeded runs.</summary>
public sealed partial class WorkflowEngine
{
    /// <summary>
    /// Rolls back a run that succeeded: its completed steps are compensated in reverse order of
    /// completion, and it ends <see cref="WorkflowRunStatus.RolledBack"/> (or compensationFailed).
    /// </summary>
    /// <exception cref="WorkflowRunStateException">The run has not succeeded (or is still running).</exception>
    public async Task<WorkflowRun> RollBackRunAsync(string runId, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runId);
        if (_active.ContainsKey(runId))
        {
            throw new WorkflowRunStateException($"Run '{runId}' has not ended; cancel it with compensation instead.");
        }

        var state = await _runs.LoadStateAsync(runId, cancellationToken).ConfigureAwait(false) ?? throw UnknownRun(runId);
        if (state.Status != WorkflowRunStatus.Succeeded)
        {
            throw new WorkflowRunStateException($"Run '{runId}' ended {Describe(state.Status)}; only a succeeded run can be rolled back.");
        }

        var definition = await ResolveDefinitionAsync(state, cancellationToken).ConfigureAwait(false);
        if (definition.Refusal is { } refusal)
        {
            throw new WorkflowRunStateException($"Run '{runId}' cannot be rolled back: {refusal}.");
        }

        if (!TryOpenSecrets(state, out var secrets, out var secretsRefusal))
        {
            throw new WorkflowRunStateException($"Run '{runId}' cannot be rolled back: {secretsRefusal}.");
        }

        var requested = new WorkflowRunEvent { Type = WorkflowRunEventTypes.RunRollbackRequested, Timestamp = _time.GetUtcNow(), Reason = reason ?? "rolled back" };
        await _runs.IndexReopenedAsync(runId, cancellationToken).ConfigureAwait(false);
        await _runs.AppendAsync(runId, state.LastSequence, [requested], cancellationToken).ConfigureAwait(false);
        state.Apply(requested with { Sequence = state.LastSequence + 1 });
        if (_summaries.TryGetValue(runId, out var summary))
        {
            _summaries[runId] = summary with { Status = WorkflowRunStatus.Compensating, FinishedAt = null };
        }

        var runner = Launch(state, definition.Definition!, secrets);
        return runner.Snapshot;
    }

    private async Task<bool> ResumeAsync(WorkflowRunSummary summary, CancellationToken cancellationToken)
    {
        WorkflowRunState? state;
        try
        {
            state = await _runs.LoadStateAsync(summary.RunId, cancellationToken).ConfigureAwait(false);
        }
        catch (WorkflowReplayException ex)
        {
            Log.ResumeRefused(_logger, summary.RunId, ex.Message);
            _summaries[summary.RunId] = summary with { Status = WorkflowRunStatus.Failed };
            return false;
        }

        if (state is null)
        {
            // Indexed, but the crash came before its first event: nothing ran.
            await _runs.IndexEndedAsync(summary.RunId, WorkflowRunStatus.Failed, cancellationToken).ConfigureAwait(false);
            _summaries[summary.RunId] = summary with { Status = WorkflowRunStatus.Failed, FinishedAt = _time.GetUtcNow() };
            return false;
        }

        if (state.IsFinal)
        {
            await _runs.IndexEndedAsync(summary.RunId, state.Status, cancellationToken).ConfigureAwait(false);
            _summaries[summary.RunId] = summary with { Status = state.Status, FinishedAt = state.FinishedAt };
            return false;
        }

        var definition = await ResolveDefinitionAsync(state, cancellationToken).ConfigureAwait(false);
        if (definition.Refusal is { } refusal)
        {
            Log.ResumeRefused(_logger, summary.RunId, refusal);
            await FailUnresumableAsync(state, refusal, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (!TryOpenSecrets(state, out var secrets, out var secretsRefusal))
        {
            Log.ResumeRefused(_logger, summary.RunId, secretsRefusal!);
            await FailUnresumableAsync(state, secretsRefusal!, cancellationToken).ConfigureAwait(false);
            return false;
        }

        Launch(state, definition.Definition!, secrets);
        return true;
    }

    /// <summary>
    /// The definition a resumed run executes: the one it recorded. When that one carried code
    /// (conditions, configure actions), the code must be registered again under the same name and
    /// version with the same data, or the run cannot be resumed faithfully and is refused.
    /// </summary>
    private async Task<(WorkflowDefinition? Definition, string? Refusal)> ResolveDefinitionAsync(WorkflowRunState state, CancellationToken cancellationToken)
    {
        var recorded = state.Definition;
        var registered = await _definitions.GetAsync(recorded.Name, recorded.Version, cancellationToken).ConfigureAwait(false);
        var recordedJson = WorkflowJson.Serialize(recorded);
        if (registered is not null && !string.Equals(WorkflowJson.Serialize(registered), recordedJson, StringComparison.Ordinal))
        {
            return (null, $"workflow '{recorded.Name}' version {recorded.Version} as registered now differs from the definition the run started with; the definition changed incompatibly");
        }

        if (state.CodeOnly)
        {
            return registered is { HasCodeOnlyMembers: true }
                ? (registered, null)
                : (null, $"workflow '{recorded.Name}' version {recorded.Version} has conditions or configure actions in code, and this server has not registered it (AddWorkflow at start)");
        }

        return (registered ?? recorded, null);
    }

    private async Task FailUnresumableAsync(WorkflowRunState state, string reason, CancellationToken cancellationToken)
    {
        var finished = new WorkflowRunEvent { Type = WorkflowRunEventTypes.RunFinished, Timestamp = _time.GetUtcNow(), Status = WorkflowRunStatus.Failed, Reason = $"cannot be resumed: {reason}" };
        await _runs.AppendAsync(state.RunId, state.LastSequence, [finished], cancellationToken).ConfigureAwait(false);
        await _runs.IndexEndedAsync(state.RunId, WorkflowRunStatus.Failed, cancellationToken).ConfigureAwait(false);
        _summaries[state.RunId] = _summaries[state.RunId] with { Status = WorkflowRunStatus.Failed, FinishedAt = finished.Timestamp };
    }
}
