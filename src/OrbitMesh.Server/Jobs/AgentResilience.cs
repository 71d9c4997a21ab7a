using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using OrbitMesh.Server.Agents;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// Polly pipelines for server→agent calls. Each agent has one circuit breaker, shared by job
/// deliveries (send the assignment, wait for the acknowledgement) and communication-level invocations:
/// timeouts and lost connections count as failures; a handler that fails does not (the agent answered).
/// An open circuit keeps the agent out of selection until the break ends. Invocations that could not
/// reach the agent at all are retried with exponential backoff and jitter.
/// </summary>
internal sealed partial class AgentResilience
{
    private readonly ConcurrentDictionary<string, Breaker> _breakers = new(StringComparer.Ordinal);
    private readonly ResilienceOptions _options;
    private readonly TimeProvider _time;
    private readonly AgentRegistry _registry;
    private readonly ILogger<AgentResilience> _logger;
    private readonly ResiliencePipeline _invokeRetry;

    public AgentResilience(IOptions<OrbitMeshServerOptions> options, TimeProvider time, AgentRegistry registry, ILogger<AgentResilience> logger)
    {
        _options = options.Value.Resilience;
        _time = time;
        _registry = registry;
        _logger = logger;
        _invokeRetry = _options.InvokeRetries == 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder { TimeProvider = time }
                .AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = _options.InvokeRetries,
                    Delay = _options.InvokeRetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = new PredicateBuilder().Handle<MeshInvocationException>(ex => ex.Code == MeshErrorCodes.NoAgent),
                })
                .Build();
    }

    /// <summary>The agent's circuit state.</summary>
    public AgentCircuitState GetState(string agentId) =>
        _breakers.TryGetValue(agentId, out var breaker) ? breaker.State : AgentCircuitState.Closed;

    /// <summary>True while the agent's circuit is open (it must not be selected).</summary>
    public bool IsOpen(string agentId) => GetState(agentId) == AgentCircuitState.Open;

    /// <summary>Runs a call to the agent through its circuit breaker.</summary>
    public ValueTask<T> ExecuteAsync<T>(string agentId, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        GetBreaker(agentId).Pipeline.ExecuteAsync(call, cancellationToken);

    /// <summary>Runs a communication-level invocation: retried when the agent is not connected, through its breaker.</summary>
    public ValueTask<T> InvokeAsync<T>(string agentId, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        _invokeRetry.ExecuteAsync(ct => ExecuteAsync(agentId, call, ct), cancellationToken);

    private Breaker GetBreaker(string agentId) => _breakers.GetOrAdd(agentId, id =>
    {
        var breaker = new Breaker();
        var stateProvider = new CircuitBreakerStateProvider();
        breaker.Pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = _options.FailureRatio,
                MinimumThroughput = _options.MinimumThroughput,
                SamplingDuration = _options.SamplingDuration,
                BreakDuration = _options.BreakDuration,
                StateProvider = stateProvider,
                ShouldHandle = new PredicateBuilder()
                    .Handle<TimeoutException>()
                    .Handle<IOException>()
                    .Handle<AgentUnreachableException>(),
                OnOpened = args =>
                {
                    breaker.State = AgentCircuitState.Open;
                    Log.CircuitOpened(_logger, id, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message ?? "failures");
                    _registry.SetCircuit(id, AgentCircuitState.Open);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    breaker.State = AgentCircuitState.HalfOpen;
                    _registry.SetCircuit(id, AgentCircuitState.HalfOpen);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    breaker.State = AgentCircuitState.Closed;
                    Log.CircuitClosed(_logger, id);
                    _registry.SetCircuit(id, AgentCircuitState.Closed);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return breaker;
    });

    private sealed class Breaker
    {
        public ResiliencePipeline Pipeline { get; set; } = ResiliencePipeline.Empty;

        public volatile AgentCircuitState State;
    }

    private static partial class Log
    {
        [LoggerMessage(2070, LogLevel.Warning, "Circuit for agent {AgentId} opened for {Seconds:0.#} s ({Reason}); it is not selected meanwhile.")]
        public static partial void CircuitOpened(ILogger logger, string agentId, double seconds, string reason);

        [LoggerMessage(2071, LogLevel.Information, "Circuit for agent {AgentId} closed.")]
        public static partial void CircuitClosed(ILogger logger, string agentId);
    }
}

/// <summary>The agent could not be reached for a call (not connected, or the send failed). Counts against its circuit.</summary>
internal sealed class AgentUnreachableException(string message, Exception? innerException = null) : Exception(message, innerException);
