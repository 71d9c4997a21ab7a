using System.Collections.Concurrent;
using System.Text.Json;

namespace OrbitMesh.Workflows.Tests.Runtime;

/// <summary>
/// An <see cref="IMeshClient"/> for engine tests: commands run in-process through handlers, and a
/// repeated idempotency key returns the first job's result instead of running again (as the job
/// manager does). Records every job it ran and every call it was asked for.
/// </summary>
public sealed class FakeMesh : IMeshClient
{
    private readonly ConcurrentDictionary<string, Func<JobRequest, CancellationToken, Task<object?>>> _handlers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<JobResult>>> _byKey = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<JobRequest> _ran = new();
    private readonly ConcurrentQueue<JobRequest> _asked = new();
    private int _jobs;

    public IReadOnlyList<string> Agents { get; init; } = ["agent-1", "agent-2", "agent-3"];

    /// <summary>Requests that ran a handler (an idempotent repeat is not among them), in start order.</summary>
    public IReadOnlyList<JobRequest> Ran => [.. _ran];

    /// <summary>Every request asked for, repeats included.</summary>
    public IReadOnlyList<JobRequest> Asked => [.. _asked];

    /// <summary>The commands that ran, in start order.</summary>
    public IReadOnlyList<string> Commands => [.. _ran.Select(r => r.Command)];

    public void Handle(string command, Func<JobRequest, CancellationToken, Task<object?>> handler) => _handlers[command] = handler;

    public void Handle(string command, Func<JobRequest, object?> handler) => _handlers[command] = (r, _) => Task.FromResult(handler(r));

    public void Succeed(params string[] commands)
    {
        foreach (var command in commands)
        {
            Handle(command, r => new { done = r.Command });
        }
    }

    public Task<JobResult> ExecuteAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        _asked.Enqueue(request);
        if (request.IdempotencyKey is null)
        {
            return RunAsync(request, cancellationToken);
        }

        return _byKey.GetOrAdd(request.IdempotencyKey, _ => new Lazy<Task<JobResult>>(() => RunAsync(request, cancellationToken))).Value;
    }

    public async Task<IReadOnlyList<AgentJobResult>> ExecuteOnAllAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var results = await Task.WhenAll(Agents.Select(agent => ExecuteAsync(
            request with { Id = MeshIds.NewJobId(), IdempotencyKey = request.IdempotencyKey is { } key ? $"{key}:{agent}" : null, Target = AgentTarget.ForAgent(agent) },
            cancellationToken))).ConfigureAwait(false);
        return [.. results.Select((result, i) => new AgentJobResult(Agents[i], result with { AgentId = Agents[i] }))];
    }

    private async Task<JobResult> RunAsync(JobRequest request, CancellationToken cancellationToken)
    {
        var jobId = $"job-{Interlocked.Increment(ref _jobs)}";
        if (!_handlers.TryGetValue(request.Command, out var handler))
        {
            return new JobResult { JobId = jobId, Status = JobStatus.Failed, Attempts = 1, Error = new JobError(MeshErrorCodes.UnknownCommand, $"no agent has a handler for '{request.Command}'") };
        }

        _ran.Enqueue(request);
        await Task.Yield();
        try
        {
            var value = await handler(request, cancellationToken).ConfigureAwait(false);
            return new JobResult { JobId = jobId, Status = JobStatus.Completed, Attempts = 1, Result = value is JsonElement element ? element : OrbitMeshJson.ToElement(value) };
        }
        catch (OperationCanceledException)
        {
            return new JobResult { JobId = jobId, Status = JobStatus.Cancelled, Attempts = 1, Error = new JobError(MeshErrorCodes.Cancelled, "cancelled by the caller") };
        }
        catch (Exception ex)
        {
            return new JobResult { JobId = jobId, Status = JobStatus.Failed, Attempts = 1, Error = JobError.FromException(ex) };
        }
    }

    public Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<AgentInfo>>([.. Agents.Select(id => new AgentInfo { Id = id, Name = id, Status = AgentStatus.Ready, Capabilities = ["web"], Groups = [id == "agent-1" ? "canary" : "main"] })]);

    public Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<JobRecord> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<T> StreamAsync<T>(JobRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<T> StreamAsync<TInput, T>(JobRequest request, IAsyncEnumerable<TInput> input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<RollingResult> ExecuteRollingAsync(JobRequest request, int batchPercent, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<JobRecord?> GetJobAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<bool> CancelJobAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, long afterSequence, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<T?> InvokeAsync<T>(string agentId, string command, object? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SendAsync(string agentId, string command, object? parameters = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SendRawAsync(string agentId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
