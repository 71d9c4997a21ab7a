using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Workflows;

/// <summary>
/// Drives one run. A single loop owns the run's state and is the only writer of its stream: step
/// attempts run concurrently and report back through the loop's inbox, and so do pause, resume,
/// cancel and timers. Every decision is recorded as an event before it takes effect, so a runner
/// made from a replayed history carries on where the last one stopped.
/// </summary>
internal sealed partial class WorkflowRunner
{
    private readonly WorkflowRunState _state;
    private readonly WorkflowRunStore _store;
    private readonly StepExecutor _executor;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<WorkflowRun, IReadOnlyList<WorkflowRunEvent>> _published;
    private readonly Channel<Message> _inbox = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ITimer> _retryTimers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dueWhilePaused = new(StringComparer.Ordinal);
    private readonly List<WorkflowRunEvent> _unflushed = [];
    private readonly List<Action> _toLaunch = [];
    private readonly WorkflowGraph _graph;
    private readonly int _parallelism;
    private readonly IReadOnlyDictionary<string, string>? _secrets;
    private ITimer? _runTimer;

    public WorkflowRunner(
        WorkflowRunState state,
        WorkflowDefinition definition,
        WorkflowRunStore store,
        StepExecutor executor,
        WorkflowEngineOptions options,
        TimeProvider time,
        ILogger logger,
        Action<WorkflowRun, IReadOnlyList<WorkflowRunEvent>> published,
        IReadOnlyDictionary<string, string>? secrets = null)
    {
        _state = state;
        _secrets = secrets;
        _store = store;
        _executor = executor;
        _time = time;
        _logger = logger;
        _published = published;
        _graph = WorkflowGraph.Create(definition);
        _parallelism = definition.MaxParallelism ?? options.DefaultMaxParallelism;
        Snapshot = state.ToRun();
    }

    /// <summary>The run as of its last recorded event; safe to read from any thread.</summary>
    public WorkflowRun Snapshot { get; private set; }

    public string RunId => _state.RunId;

    private WorkflowDefinition Definition => _graph.Definition;

    /// <summary>Asks the loop to pause, resume or cancel; completes with null when done, or with why not.</summary>
    public Task<string?> ControlAsync(ControlKind kind, bool compensate, string? reason)
    {
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new Message.Control(kind, compensate, reason, done)))
        {
            done.TrySetResult($"run '{RunId}' has already ended ({Snapshot.Status.ToString().ToLowerInvariant()})");
        }

        return done.Task;
    }

    /// <summary>Runs the loop until the run ends or <paramref name="stopping"/> (server shutdown) is signalled.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await RunCoreAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutdown: the history holds everything; the next start resumes the run.
        }
        catch (Exception ex)
        {
            Log.RunnerFailed(_logger, ex, RunId);
        }
        finally
        {
            _inbox.Writer.TryComplete();
            _runTimer?.Dispose();
            foreach (var timer in _retryTimers.Values)
            {
                timer.Dispose();
            }

            while (_inbox.Reader.TryRead(out var left))
            {
                (left as Message.Control)?.Done.TrySetResult($"run '{RunId}' has already ended ({Snapshot.Status.ToString().ToLowerInvariant()})");
            }
        }
    }

    private async Task RunCoreAsync(CancellationToken stopping)
    {
        if (_state.IsFinal)
        {
            return;
        }

        if (Definition.Timeout is { } runTimeout && _state.Status != WorkflowRunStatus.Compensating)
        {
            var due = _state.StartedAt + runTimeout - _time.GetUtcNow();
            _runTimer = _time.CreateTimer(_ => _inbox.Writer.TryWrite(new Message.RunTimeout()), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        if (_state.Status != WorkflowRunStatus.Compensating)
        {
            ResumeInFlight();
            await DriveStepsAsync(stopping).ConfigureAwait(false);
            await CancelUnfinishedStepsAsync(stopping).ConfigureAwait(false);
        }

        if (_state.Failing || _state.RollingBack || (_state.CancelRequested && _state.CompensateOnCancel))
        {
            await CompensateAsync(stopping).ConfigureAwait(false);
            return;
        }

        await FinishAsync(_state.CancelRequested ? WorkflowRunStatus.Cancelled : WorkflowRunStatus.Succeeded, _state.Reason, stopping).ConfigureAwait(false);
    }

    // ---- the forward phase ------------------------------------------------------------------

    /// <summary>After a restart: attempts that were running run again under the same key; retries wait for their time.</summary>
    private void ResumeInFlight()
    {
        foreach (var id in _graph.TopologicalOrder)
        {
            var step = _state.Step(id);
            if (step.Status == WorkflowStepStatus.Running)
            {
                Launch(_graph.Definition.FindStep(id)!, step.Attempts);
            }
            else if (step.Status == WorkflowStepStatus.Retrying)
            {
                ScheduleRetry(id, step.NextAttemptAt ?? _time.GetUtcNow());
            }
        }
    }

    private async Task DriveStepsAsync(CancellationToken stopping)
    {
        while (true)
        {
            if (!_state.Failing && !_state.CancelRequested && _state.Status == WorkflowRunStatus.Running)
            {
                await StartReadyStepsAsync(stopping).ConfigureAwait(false);
            }

            await FlushAsync(stopping).ConfigureAwait(false);
            if (_running.Count == 0 && _retryTimers.Count == 0 && _dueWhilePaused.Count == 0)
            {
                if (_state.Failing || _state.CancelRequested || AllStepsDone())
                {
                    return;
                }

                if (_state.Status == WorkflowRunStatus.Running)
                {
                    // Nothing runs, nothing is ready, yet steps are pending: cannot happen in a valid graph.
                    await AppendAsync([Event(WorkflowRunEventTypes.RunTimedOut) with { Reason = "no step can start: the remaining steps wait for steps that will never finish" }], stopping).ConfigureAwait(false);
                    return;
                }
            }

            var message = await _inbox.Reader.ReadAsync(stopping).ConfigureAwait(false);
            await HandleAsync(message, stopping).ConfigureAwait(false);
        }
    }

    private bool AllStepsDone() => _graph.TopologicalOrder.All(id => _state.Step(id).IsDone);

    private async Task StartReadyStepsAsync(CancellationToken stopping)
    {
        var changed = true;
        while (changed && _running.Count < _parallelism)
        {
            changed = false;
            foreach (var id in _graph.TopologicalOrder)
            {
                if (_running.Count >= _parallelism || _state.Failing)
                {
                    break;
                }

                var step = _state.Step(id);
                if (step.Status != WorkflowStepStatus.Pending || !_graph.GetDependencies(id).All(d => _state.Step(d).LetsDependentsRun))
                {
                    continue;
                }

                var definition = Definition.FindStep(id)!;
                if (definition.If is { } expression)
                {
                    bool run;
                    try
                    {
                        run = WorkflowExpression.Parse(expression).EvaluateCondition(RunContextNow().Scope());
                    }
                    catch (WorkflowExpressionException ex)
                    {
                        await AppendAsync([Event(WorkflowRunEventTypes.StepFailed, id) with { Attempt = 1, Reason = $"its if could not be evaluated: {ex.Message}" }], stopping).ConfigureAwait(false);
                        changed = true;
                        continue;
                    }

                    if (!run)
                    {
                        await AppendAsync([Event(WorkflowRunEventTypes.StepSkipped, id) with { Reason = $"its if {ExpressionNames.Quote(expression)} was false" }], stopping).ConfigureAwait(false);
                        changed = true;
                        continue;
                    }
                }

                if (definition.Condition is { } condition)
                {
                    bool run;
                    try
                    {
                        run = condition(Context(id, 1));
                    }
                    catch (Exception ex)
                    {
                        await AppendAsync([Event(WorkflowRunEventTypes.StepFailed, id) with { Attempt = 1, Reason = $"its condition threw {ex.GetType().Name}: {ex.Message}" }], stopping).ConfigureAwait(false);
                        changed = true;
                        continue;
                    }

                    if (!run)
                    {
                        await AppendAsync([Event(WorkflowRunEventTypes.StepSkipped, id) with { Reason = "its condition was false" }], stopping).ConfigureAwait(false);
                        changed = true;
                        continue;
                    }
                }

                Record(Event(WorkflowRunEventTypes.StepStarted, id) with { Attempt = 1 });
                Launch(definition, 1);
                changed = true;
            }
        }
    }

    private void Launch(WorkflowStepDefinition step, int attempt)
    {
        var cts = new CancellationTokenSource();
        _running[step.Id] = cts;
        var run = RunContextNow();
        _toLaunch.Add(() => _ = Task.Run(async () =>
        {
            StepOutcome outcome;
            try
            {
                outcome = await _executor.RunStepAsync(run, step, attempt, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                outcome = new StepOutcome(StepResult.Failed("cancelled with the run", retryable: false), null);
            }

            _inbox.Writer.TryWrite(new Message.StepDone(step.Id, attempt, outcome));
        }));
    }

    private async Task HandleAsync(Message message, CancellationToken stopping)
    {
        switch (message)
        {
            case Message.StepDone done:
                await StepDoneAsync(done, stopping).ConfigureAwait(false);
                break;
            case Message.RetryDue due:
                await RetryDueAsync(due.StepId, stopping).ConfigureAwait(false);
                break;
            case Message.RunTimeout:
                if (!_state.Failing && !_state.CancelRequested)
                {
                    await AppendAsync([Event(WorkflowRunEventTypes.RunTimedOut) with { Reason = $"the run timed out after {StepExecutor.Describe(Definition.Timeout!.Value)}" }], stopping).ConfigureAwait(false);
                    StopEverything();
                }

                break;
            case Message.Control control:
                control.Done.TrySetResult(await ControlCoreAsync(control, stopping).ConfigureAwait(false));
                break;
        }
    }

    private async Task StepDoneAsync(Message.StepDone done, CancellationToken stopping)
    {
        if (_running.Remove(done.StepId, out var cts))
        {
            cts.Dispose();
        }

        var result = done.Outcome.Result;
        var step = Definition.FindStep(done.StepId)!;
        WorkflowRunEvent recorded;
        if (result.Status == StepResultStatus.Succeeded)
        {
            recorded = Event(WorkflowRunEventTypes.StepSucceeded, done.StepId) with { Attempt = done.Attempt, Output = result.Output, JobId = done.Outcome.JobId };
        }
        else if (result.Status == StepResultStatus.Skipped)
        {
            recorded = Event(WorkflowRunEventTypes.StepSkipped, done.StepId) with { Attempt = done.Attempt, Reason = result.Reason ?? "the step had nothing to do", JobId = done.Outcome.JobId };
        }
        else if (_state.CancelRequested || (_state.Failing && !result.IsRetryable))
        {
            recorded = Event(_state.CancelRequested ? WorkflowRunEventTypes.StepCancelled : WorkflowRunEventTypes.StepFailed, done.StepId) with { Attempt = done.Attempt, Reason = result.Reason, JobId = done.Outcome.JobId };
        }
        else if (result.IsRetryable && !_state.Failing && done.Attempt < (step.Retry ?? WorkflowRetryPolicy.None).MaxAttempts)
        {
            var policy = step.Retry!;
            var next = _time.GetUtcNow() + policy.GetBackoff(done.Attempt + 1, Random.Shared.NextDouble());
            recorded = Event(WorkflowRunEventTypes.StepRetrying, done.StepId) with { Attempt = done.Attempt, Reason = result.Reason, JobId = done.Outcome.JobId, NextAttemptAt = next };
            await AppendAsync([recorded], stopping).ConfigureAwait(false);
            ScheduleRetry(done.StepId, next);
            return;
        }
        else
        {
            var attempts = done.Attempt > 1 ? $" after {done.Attempt} attempts" : string.Empty;
            recorded = Event(WorkflowRunEventTypes.StepFailed, done.StepId) with { Attempt = done.Attempt, Reason = $"{result.Reason}{attempts}", JobId = done.Outcome.JobId };
        }

        var wasFailing = _state.Failing;
        if (recorded.Type is WorkflowRunEventTypes.StepSucceeded or WorkflowRunEventTypes.StepSkipped)
        {
            // Written with whatever this success lets start next, in one append.
            Record(recorded);
            return;
        }

        await AppendAsync([recorded], stopping).ConfigureAwait(false);
        if (!wasFailing && _state.Failing)
        {
            Log.StepFailed(_logger, RunId, done.StepId, recorded.Reason ?? "failed");
            DropRetries();
        }
    }

    private void ScheduleRetry(string stepId, DateTimeOffset at)
    {
        var due = at - _time.GetUtcNow();
        _retryTimers[stepId] = _time.CreateTimer(_ => _inbox.Writer.TryWrite(new Message.RetryDue(stepId)), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private async Task RetryDueAsync(string stepId, CancellationToken stopping)
    {
        if (!_retryTimers.Remove(stepId, out var timer))
        {
            return; // Dropped by a failure or a cancel.
        }

        timer.Dispose();
        if (_state.Status == WorkflowRunStatus.Paused)
        {
            _dueWhilePaused.Add(stepId);
            return;
        }

        await StartRetryAsync(stepId, stopping).ConfigureAwait(false);
    }

    private async Task StartRetryAsync(string stepId, CancellationToken stopping)
    {
        var attempt = _state.Step(stepId).Attempts + 1;
        await AppendAsync([Event(WorkflowRunEventTypes.StepStarted, stepId) with { Attempt = attempt }], stopping).ConfigureAwait(false);
        Launch(Definition.FindStep(stepId)!, attempt);
    }

    private async Task<string?> ControlCoreAsync(Message.Control control, CancellationToken stopping)
    {
        if (_state.CancelRequested || _state.Failing)
        {
            return $"run '{RunId}' is already ending ({(_state.CancelRequested ? "cancelled" : "failed")}: {_state.Reason})";
        }

        switch (control.Kind)
        {
            case ControlKind.Pause:
                if (_state.Status == WorkflowRunStatus.Paused)
                {
                    return null;
                }

                await AppendAsync([Event(WorkflowRunEventTypes.RunPaused) with { Reason = control.Reason }], stopping).ConfigureAwait(false);
                return null;
            case ControlKind.Resume:
                if (_state.Status != WorkflowRunStatus.Paused)
                {
                    return null;
                }

                await AppendAsync([Event(WorkflowRunEventTypes.RunResumed)], stopping).ConfigureAwait(false);
                foreach (var stepId in _dueWhilePaused.ToList())
                {
                    _dueWhilePaused.Remove(stepId);
                    await StartRetryAsync(stepId, stopping).ConfigureAwait(false);
                }

                return null;
            default:
                await AppendAsync([Event(WorkflowRunEventTypes.RunCancelRequested) with { Compensate = control.Compensate, Reason = control.Reason ?? "cancelled" }], stopping).ConfigureAwait(false);
                StopEverything();
                return null;
        }
    }

    /// <summary>Cancels running attempts (their jobs are cancelled on the agents) and drops pending retries.</summary>
    private void StopEverything()
    {
        foreach (var cts in _running.Values)
        {
            cts.Cancel();
        }

        DropRetries();
    }

    private void DropRetries()
    {
        foreach (var timer in _retryTimers.Values)
        {
            timer.Dispose();
        }

        _retryTimers.Clear();
        _dueWhilePaused.Clear();
    }

    private async Task CancelUnfinishedStepsAsync(CancellationToken stopping)
    {
        var reason = _state.CancelRequested ? "the run was cancelled" : "an earlier step failed";
        var events = _graph.TopologicalOrder
            .Where(id => !_state.Step(id).IsDone)
            .Select(id => Event(WorkflowRunEventTypes.StepCancelled, id) with { Reason = reason })
            .ToList();
        if (events.Count > 0)
        {
            await AppendAsync(events, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>The run as its steps and expressions see it now: parameters, outputs, each step's status, and (for templates only) its secrets.</summary>
    private RunContext RunContextNow() => new(
        RunId,
        Definition,
        _state.Parameters,
        _state.Outputs(),
        _state.BoundAgent,
        Definition.Steps.ToDictionary(s => s.Id, s => StatusName(_state.Step(s.Id).Status), StringComparer.Ordinal),
        _secrets);

    private static string StatusName(WorkflowStepStatus status) => System.Text.Json.JsonSerializer.Serialize(status).Trim('"');

    private StepContext Context(string stepId, int attempt) => new()
    {
        RunId = RunId,
        WorkflowName = Definition.Name,
        WorkflowVersion = Definition.Version,
        StepId = stepId,
        Attempt = attempt,
        RunParameters = _state.Parameters,
        StepParameters = Definition.FindStep(stepId)?.Parameters,
        Outputs = _state.Outputs(),
        Logger = _logger,
    };

    internal enum ControlKind
    {
        Pause,
        Resume,
        Cancel,
    }

    private abstract record Message
    {
        public sealed record StepDone(string StepId, int Attempt, StepOutcome Outcome) : Message;

        public sealed record RetryDue(string StepId) : Message;

        public sealed record RunTimeout : Message;

        public sealed record Control(ControlKind Kind, bool Compensate, string? Reason, TaskCompletionSource<string?> Done) : Message;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Error, Message = "The runner of workflow run {RunId} stopped on an error; the run resumes from its history at the next start")]
        public static partial void RunnerFailed(ILogger logger, Exception exception, string runId);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Workflow run {RunId}: step {StepId} failed for good: {Reason}")]
        public static partial void StepFailed(ILogger logger, string runId, string stepId, string reason);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Workflow run {RunId} ({Workflow}) ended {Status}: {Reason}")]
        public static partial void RunFinished(ILogger logger, string runId, string workflow, WorkflowRunStatus status, string reason);
    }
}
