using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Server.Jobs;

namespace OrbitMesh.Server.Invocation;

/// <summary>
/// The in-process <see cref="IMeshClient"/>: durable jobs through the <see cref="JobManager"/>, and
/// communication-level calls straight through the hub (client results), guarded by each agent's
/// circuit breaker and retried while the agent is not connected.
/// </summary>
internal sealed partial class ServerMeshClient(
    AgentRegistry registry,
    JobManager jobs,
    AgentResilience resilience,
    IHubContext<AgentHub, IAgentClient> hub,
    Cluster.IClusterDirectory cluster,
    IOptions<OrbitMeshServerOptions> options,
    TimeProvider time,
    ILogger<ServerMeshClient> logger) : IMeshClient
{
    // ---- agents ----

    public Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new Cluster.ClusterAgentRegistry(registry, cluster).GetAgents());

    public Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(new Cluster.ClusterAgentRegistry(registry, cluster).GetAgent(agentId));

    // ---- execution level ----

    public Task<JobRecord> SubmitAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        EnsureTargetCanRun(request);
        return jobs.SubmitAsync(request, failFast: false, watcher: null, input: null, cancellationToken);
    }

    /// <summary>Like <see cref="SubmitAsync"/>, failing fast with <see cref="MeshQueueFullException"/> when the queue is full (REST).</summary>
    public Task<JobRecord> SubmitOrFailFastAsync(JobRequest request, IAsyncEnumerable<JsonElement>? input, CancellationToken cancellationToken)
    {
        EnsureTargetCanRun(request);
        return jobs.SubmitAsync(request, failFast: true, watcher: null, input, cancellationToken);
    }

    /// <summary>Submits (failing fast when full) with a watcher attached from the start; the events end with the job's final status.</summary>
    public async Task<(JobRecord Job, IAsyncEnumerable<JobEvent> Events)> SubmitAndWatchAsync(JobRequest request, IAsyncEnumerable<JsonElement>? input, CancellationToken cancellationToken)
    {
        EnsureTargetCanRun(request);
        var watcher = new JobWatcher();
        var job = await jobs.SubmitAsync(request, failFast: true, watcher, input, cancellationToken).ConfigureAwait(false);
        return (job, ReadWatcherAsync(watcher, cancellationToken));
    }

    private static async IAsyncEnumerable<JobEvent> ReadWatcherAsync(JobWatcher watcher, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var jobEvent in watcher.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return jobEvent;
            if (jobEvent.IsFinal)
            {
                yield break;
            }
        }
    }

    public async Task<JobResult> ExecuteAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var job = await SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            return (await jobs.WaitForFinalAsync(job.Id, cancellationToken).ConfigureAwait(false)).ToResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await jobs.CancelAsync(job.Id, "cancelled by the caller", CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public IAsyncEnumerable<T> StreamAsync<T>(JobRequest request, CancellationToken cancellationToken = default) =>
        StreamCoreAsync<T>(request, input: null, cancellationToken);

    public IAsyncEnumerable<T> StreamAsync<TInput, T>(JobRequest request, IAsyncEnumerable<TInput> input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return StreamCoreAsync<T>(request, ToJson(input, cancellationToken), cancellationToken);
    }

    private async IAsyncEnumerable<T> StreamCoreAsync<T>(JobRequest request, IAsyncEnumerable<JsonElement>? input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var watcher = new JobWatcher();
        var job = await jobs.SubmitAsync(request with { Pattern = ExecutionPattern.Streaming }, failFast: false, watcher, input, cancellationToken).ConfigureAwait(false);
        var finished = false;
        try
        {
            await foreach (var jobEvent in watcher.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (jobEvent.Type == JobEventType.Item && jobEvent.Item is { } item)
                {
                    yield return item.Deserialize<T>(OrbitMeshJson.Options)!;
                }
                else if (jobEvent.IsFinal)
                {
                    finished = true;
                    if (jobEvent.Status != JobStatus.Completed)
                    {
                        throw new MeshInvocationException(jobEvent.Error ?? new JobError(MeshErrorCodes.Internal, $"The job ended {jobEvent.Status}."), agentId: jobEvent.AgentId);
                    }

                    yield break;
                }
            }

            finished = true;
        }
        finally
        {
            // Close the watcher first: a producer waiting for room in it must not hold the job while it is cancelled.
            watcher.Close();
            if (!finished)
            {
                await jobs.CancelAsync(job.Id, "the caller stopped reading the stream", CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async IAsyncEnumerable<JsonElement> ToJson<TInput>(IAsyncEnumerable<TInput> input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in input.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return OrbitMeshJson.ToElement(item) ?? default;
        }
    }

    public async Task<IReadOnlyList<AgentJobResult>> ExecuteOnAllAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        var agents = MatchingAgents(request);
        return await RunOnAgentsAsync(request, agents, MeshIds.New("fan"), cancellationToken).ConfigureAwait(false);
    }

    public async Task<RollingResult> ExecuteRollingAsync(JobRequest request, int batchPercent, CancellationToken cancellationToken = default)
    {
        if (batchPercent is < 1 or > 100)
        {
            throw new MeshValidationException([$"batchPercent must be between 1 and 100; it was {batchPercent}."]);
        }

        var agents = MatchingAgents(request);
        var batchSize = Math.Max(1, (int)Math.Ceiling(agents.Count * batchPercent / 100.0));
        var correlation = request.CorrelationId ?? MeshIds.New("roll");
        var batches = new List<IReadOnlyList<AgentJobResult>>();
        for (var start = 0; start < agents.Count; start += batchSize)
        {
            var batch = agents.Skip(start).Take(batchSize).ToList();
            var results = await RunOnAgentsAsync(request, batch, correlation, cancellationToken).ConfigureAwait(false);
            batches.Add(results);
            if (results.Any(r => !r.IsSuccess))
            {
                Log.RollingStopped(logger, batches.Count, results.Count(r => !r.IsSuccess));
                return new RollingResult { Batches = batches, SkippedAgents = agents.Skip(start + batchSize).ToList(), Completed = false };
            }
        }

        return new RollingResult { Batches = batches, Completed = true };
    }

    /// <summary>Ready agents that match the request's target and have a handler for its command; never "all agents" for a target that matches none.</summary>
    private List<string> MatchingAgents(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var agents = registry.Matching(request.Target, request.Command)
            .Where(a => a.AcceptsWork)
            .Select(a => a.Id)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (agents.Count == 0)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.NoAgent,
                $"No ready agent matches {request.Target?.ToString() ?? "any agent"} with a handler for '{request.Command}'."));
        }

        return agents;
    }

    private async Task<IReadOnlyList<AgentJobResult>> RunOnAgentsAsync(JobRequest request, IReadOnlyList<string> agents, string correlationId, CancellationToken cancellationToken)
    {
        var runs = agents.Select(async agentId =>
        {
            var perAgent = request with
            {
                Id = MeshIds.NewJobId(),
                Target = AgentTarget.ForAgent(agentId),
                IdempotencyKey = request.IdempotencyKey is { } key ? $"{key}:{agentId}" : null,
                CorrelationId = request.CorrelationId ?? correlationId,
            };
            try
            {
                return new AgentJobResult(agentId, await ExecuteAsync(perAgent, cancellationToken).ConfigureAwait(false));
            }
            catch (OrbitMeshException ex)
            {
                return new AgentJobResult(agentId, new JobResult
                {
                    JobId = perAgent.Id,
                    Status = JobStatus.Failed,
                    AgentId = agentId,
                    Error = new JobError(ex.Code, ex.Message, ex.GetType().FullName),
                });
            }
        });
        return await Task.WhenAll(runs).ConfigureAwait(false);
    }

    public Task<JobRecord?> GetJobAsync(string jobId, CancellationToken cancellationToken = default) => jobs.GetAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default) => jobs.QueryAsync(query, cancellationToken);

    public Task<bool> CancelJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        jobs.CancelAsync(jobId, "cancelled by the caller", cancellationToken);

    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, CancellationToken cancellationToken = default) => jobs.WatchAsync(jobId, 0, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<JobEvent> WatchJobAsync(string jobId, long afterSequence, CancellationToken cancellationToken = default) => jobs.WatchAsync(jobId, afterSequence, cancellationToken);

    // ---- communication level ----

    public async Task<T?> InvokeAsync<T>(string agentId, string command, object? parameters = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentException.ThrowIfNullOrEmpty(command);
        var result = await InvokeRawAsync(agentId, new InvokeRequest
        {
            Command = command,
            Parameters = OrbitMeshJson.ToElement(parameters),
        }, timeout, cancellationToken).ConfigureAwait(false);

        return result is { } element ? element.Deserialize<T>(OrbitMeshJson.Options) : default;
    }

    /// <summary>Sends one <see cref="IAgentClient.Invoke"/> and returns the handler's JSON result.</summary>
    public async Task<JsonElement?> InvokeRawAsync(string agentId, InvokeRequest request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var limit = timeout ?? options.Value.DefaultInvokeTimeout;
        EnsureWritable(request.Parameters);
        var connection = await RouteAsync(agentId, request.Command, cancellationToken).ConfigureAwait(false);
        InvokeResult? result;
        try
        {
            result = await resilience.InvokeAsync(agentId, async ct =>
            {
                // A reconnected local agent has a new connection: look it up again on each attempt.
                var connectionId = registry.TryGetConnectionId(agentId, out var local) ? local : connection;
                using var timeoutCts = new CancellationTokenSource(limit, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeoutCts.Token);
                try
                {
                    return await hub.Clients.Client(connectionId)
                        .Invoke(request with { TimeoutMs = (int)Math.Min(int.MaxValue, limit.TotalMilliseconds) }, linked.Token)
                        .ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or HubException && timeoutCts.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"'{request.Command}' did not answer within {limit.TotalMilliseconds:0} ms.", ex);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Log.InvokeTimedOut(logger, request.Command, agentId, limit.TotalMilliseconds);
            throw new MeshInvocationException(new JobError(MeshErrorCodes.Timeout, ex.Message), ex, agentId);
        }
        catch (HubException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.AgentDisconnected,
                $"The agent disconnected before answering '{request.Command}'."), ex, agentId);
        }
        catch (Polly.CircuitBreaker.BrokenCircuitException ex)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.AgentDisconnected,
                $"Agent '{agentId}' failed too often recently; its circuit is open. Try again later."), ex, agentId);
        }
        catch (HubException ex)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.HandlerFailed, ex.Message), ex, agentId);
        }

        if (result is null)
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.Internal, "The agent answered without a result."), agentId: agentId);
        }

        if (!result.Success)
        {
            var error = result.Error ?? new JobError(MeshErrorCodes.HandlerFailed, "The handler failed without saying why.");
            if (!options.Value.IncludeErrorDetails && error.Details is not null)
            {
                error = error with { Details = null }; // The agent sent a stack trace; this server does not pass them on.
            }

            throw new MeshInvocationException(error, agentId: agentId);
        }

        return result.Result;
    }

    public async Task SendAsync(string agentId, string command, object? parameters = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var element = OrbitMeshJson.ToElement(parameters);
        EnsureWritable(element);
        var connection = await RouteAsync(agentId, command, cancellationToken).ConfigureAwait(false);
        await hub.Clients.Client(connection).Notify(new InvokeRequest { Command = command, Parameters = element }).ConfigureAwait(false);
    }

    public async Task SendRawAsync(string agentId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        var connection = await RouteAsync(agentId, command: null, cancellationToken).ConfigureAwait(false);
        await hub.Clients.Client(connection).Raw(new RawMessage(payload.ToArray())).ConfigureAwait(false);
    }

    /// <summary>Parameters with text that is not valid Unicode cannot be written to an agent: writing them would close its connection.</summary>
    private static void EnsureWritable(JsonElement? parameters)
    {
        if (parameters is { } element && Api.JsonText.FindInvalidText(element, "parameters") is { } where)
        {
            throw new MeshValidationException([$"parameters hold text that is not valid Unicode at {where}."]);
        }
    }

    /// <summary>An enrolled node receives only commands its grants allow (the fast path too).</summary>
    /// <summary>
    /// A job aimed at one known agent that can never run it is refused at submission instead of waiting
    /// Pending until its timeout: the node was not granted the command (the error names the grant), or the
    /// agent has no handler for it. Agents that registered no command list accept any command.
    /// </summary>
    private void EnsureTargetCanRun(JobRequest request)
    {
        if (request.Target?.AgentId is not { } agentId || registry.Find(agentId) is not { } entry)
        {
            return;
        }

        EnsureGranted(agentId, request.Command);
        if (!entry.HasHandler(request.Command))
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.UnknownCommand,
                $"Agent '{agentId}' has no handler for '{request.Command}' (it handles {string.Join(", ", entry.Commands.Take(20))}); the job could never run there."), agentId: agentId);
        }
    }

    private void EnsureGranted(string agentId, string command)
    {
        if (registry.Find(agentId)?.Grants is { } grants && !grants.AllowsCommand(command))
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.NotAllowed,
                $"Node '{agentId}' was not granted the capability '{grants.RequiredFor(command)}' that '{command}' requires."), agentId: agentId);
        }
    }

    /// <summary>
    /// The connection to send to: the agent's on this server, else (in a cluster) its connection on another server,
    /// which the backplane reaches. A command must be allowed by the node's grants, wherever it is connected.
    /// </summary>
    private async ValueTask<string> RouteAsync(string agentId, string? command, CancellationToken cancellationToken)
    {
        if (registry.TryGetConnectionId(agentId, out var connectionId))
        {
            if (command is not null)
            {
                EnsureGranted(agentId, command);
            }

            return connectionId;
        }

        if (await cluster.FindAsync(agentId, cancellationToken).ConfigureAwait(false) is { } remote)
        {
            if (command is not null && remote.Granted is { } granted)
            {
                var grants = new Security.Nodes.CapabilityGrants(granted, options.Value.Security.CommandCapabilities.AsReadOnly());
                if (!grants.AllowsCommand(command))
                {
                    throw new MeshInvocationException(new JobError(MeshErrorCodes.NotAllowed,
                        $"Node '{agentId}' was not granted the capability '{grants.RequiredFor(command)}' that '{command}' requires."), agentId: agentId);
                }
            }

            return remote.ConnectionId;
        }

        throw new MeshInvocationException(new JobError(MeshErrorCodes.NoAgent,
            registry.GetAgent(agentId) is null ? $"No agent with id '{agentId}' is known." : $"Agent '{agentId}' is not connected."), agentId: agentId);
    }

    private static partial class Log
    {
        [LoggerMessage(2060, LogLevel.Warning, "Invocation of '{Command}' on agent {AgentId} timed out after {TimeoutMs:0} ms.")]
        public static partial void InvokeTimedOut(ILogger logger, string command, string agentId, double timeoutMs);

        [LoggerMessage(2061, LogLevel.Warning, "Rolling execution stopped after batch {Batch}: {Failures} agent(s) failed.")]
        public static partial void RollingStopped(ILogger logger, int batch, int failures);
    }
}
