using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;

namespace OrbitMesh.Server.Invocation;

/// <summary>
/// The in-process <see cref="IMeshClient"/>: calls agents through the hub context as SignalR client results.
/// </summary>
internal sealed partial class ServerMeshClient(
    AgentRegistry registry,
    IHubContext<AgentHub, IAgentClient> hub,
    IOptions<OrbitMeshServerOptions> options,
    TimeProvider time,
    ILogger<ServerMeshClient> logger) : IMeshClient
{
    public Task<IReadOnlyList<AgentInfo>> GetAgentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(registry.GetAgents());

    public Task<AgentInfo?> GetAgentAsync(string agentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(registry.GetAgent(agentId));

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
        if (!registry.TryGetConnectionId(agentId, out var connectionId))
        {
            throw new MeshInvocationException(new JobError(MeshErrorCodes.NoAgent,
                registry.GetAgent(agentId) is null ? $"No agent with id '{agentId}' is known." : $"Agent '{agentId}' is not connected."), agentId: agentId);
        }

        var limit = timeout ?? options.Value.DefaultInvokeTimeout;
        using var timeoutCts = new CancellationTokenSource(limit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        InvokeResult? result;
        try
        {
            result = await hub.Clients.Client(connectionId)
                .Invoke(request with { TimeoutMs = (int)Math.Min(int.MaxValue, limit.TotalMilliseconds) }, linked.Token)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HubException && timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Log.InvokeTimedOut(logger, request.Command, agentId, limit.TotalMilliseconds);
            throw new MeshInvocationException(new JobError(MeshErrorCodes.Timeout,
                $"'{request.Command}' did not answer within {limit.TotalMilliseconds:0} ms."), agentId: agentId);
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

    private static partial class Log
    {
        [LoggerMessage(2060, LogLevel.Warning, "Invocation of '{Command}' on agent {AgentId} timed out after {TimeoutMs:0} ms.")]
        public static partial void InvokeTimedOut(ILogger logger, string command, string agentId, double timeoutMs);
    }
}
