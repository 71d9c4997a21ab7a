namespace OrbitMesh.Workflows;

/// <summary>The runner's saga: compensations in reverse order of completion, onFailure, and the run's end.</summary>
internal sealed partial class WorkflowRunner
{
    private async Task CompensateAsync(CancellationToken stopping)
    {
        if (_state.Status != WorkflowRunStatus.Compensating)
        {
            await AppendAsync([Event(WorkflowRunEventTypes.RunCompensating)], stopping).ConfigureAwait(false);
        }

        var run = RunContextNow();
        foreach (var id in _state.CompletionOrder.Reverse())
        {
            var step = _state.Step(id);
            if (step.Status != WorkflowStepStatus.Succeeded || Definition.FindStep(id)?.Compensation is not { } compensation)
            {
                continue;
            }

            if (!step.CompensationStarted)
            {
                await AppendAsync([Event(WorkflowRunEventTypes.CompensationStarted, id)], stopping).ConfigureAwait(false);
            }

            var outcome = await CompensateOneAsync(run, compensation, id, stopping).ConfigureAwait(false);
            if (outcome.Result.Status == StepResultStatus.Failed)
            {
                await AppendAsync([Event(WorkflowRunEventTypes.CompensationFailed, id) with { Reason = outcome.Result.Reason, JobId = outcome.JobId }], stopping).ConfigureAwait(false);
                await FinishAsync(WorkflowRunStatus.CompensationFailed, $"the compensation of step '{id}' failed: {outcome.Result.Reason} (after {_state.Reason})", stopping).ConfigureAwait(false);
                return;
            }

            await AppendAsync([Event(WorkflowRunEventTypes.CompensationSucceeded, id) with { JobId = outcome.JobId, Reason = outcome.Result.Reason }], stopping).ConfigureAwait(false);
        }

        if (Definition.OnFailure is { } onFailure && !_state.OnFailureDone && !_state.RollingBack)
        {
            await AppendAsync([Event(WorkflowRunEventTypes.OnFailureStarted) with { StepId = "onFailure" }], stopping).ConfigureAwait(false);
            var outcome = await CompensateOneAsync(run, onFailure, "onFailure", stopping).ConfigureAwait(false);
            var failed = outcome.Result.Status == StepResultStatus.Failed;
            await AppendAsync([Event(WorkflowRunEventTypes.OnFailureFinished) with { StepId = "onFailure", Reason = failed ? outcome.Result.Reason : null, JobId = outcome.JobId }], stopping).ConfigureAwait(false);
            if (failed)
            {
                await FinishAsync(WorkflowRunStatus.CompensationFailed, $"the onFailure handler failed: {outcome.Result.Reason} (after {_state.Reason})", stopping).ConfigureAwait(false);
                return;
            }
        }

        await FinishAsync(_state.RollingBack ? WorkflowRunStatus.RolledBack : _state.Failing ? WorkflowRunStatus.Failed : WorkflowRunStatus.Cancelled, _state.Reason, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a compensation to its end even when the server shuts down meanwhile (its job must not be
    /// cancelled by a shutdown); the loop only stops waiting, and the next start attaches to the same job.
    /// </summary>
    private Task<StepOutcome> CompensateOneAsync(RunContext run, WorkflowCompensationDefinition compensation, string stepId, CancellationToken stopping) =>
        _executor.RunCompensationAsync(run, compensation, stepId, CancellationToken.None).WaitAsync(stopping);

    private async Task FinishAsync(WorkflowRunStatus status, string? reason, CancellationToken stopping)
    {
        await AppendAsync([Event(WorkflowRunEventTypes.RunFinished) with { Status = status, Reason = reason }], stopping).ConfigureAwait(false);
        await _store.IndexEndedAsync(RunId, status, stopping).ConfigureAwait(false);
        Log.RunFinished(_logger, RunId, Definition.Name, status, reason ?? "-");
    }
}
