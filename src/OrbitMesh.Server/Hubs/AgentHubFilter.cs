using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Diagnostics;
using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Hubs;

/// <summary>
/// Guards every agent hub method: nothing but <see cref="IServerHub.Register"/> runs on an
/// unregistered connection, and an unexpected exception reaches the agent only as a deliberate
/// message with an error id (the details go to the server log).
/// </summary>
internal sealed partial class AgentHubFilter(ILogger<AgentHubFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var method = invocationContext.HubMethodName;
        var agentId = invocationContext.Context.Items.TryGetValue(AgentHub.AgentIdItem, out var id) ? id as string : null;
        if (agentId is null && method != HubMethodNames.Register)
        {
            Log.UnregisteredCall(logger, invocationContext.Context.ConnectionId, method);
            throw new HubException($"Call {HubMethodNames.Register} before '{method}'.");
        }

        using var scope = logger.BeginScope(new MeshLogScope(agentId, JobIdOf(invocationContext.HubMethodArguments)));
        try
        {
            return await next(invocationContext).ConfigureAwait(false);
        }
        catch (HubException)
        {
            throw;
        }
        catch (Exception ex)
        {
            var errorId = MeshIds.New("err");
            Log.MethodFailed(logger, method, agentId ?? invocationContext.Context.ConnectionId, errorId, ex);
            throw new HubException($"The server failed to process '{method}' (error id {errorId}); the details are in the server log.");
        }
    }

    private static string? JobIdOf(IReadOnlyList<object?> arguments) => arguments.Count == 0 ? null : arguments[0] switch
    {
        JobAck ack => ack.JobId,
        JobNack nack => nack.JobId,
        JobProgress progress => progress.JobId,
        JobItems items => items.JobId,
        JobCompletion completion => completion.JobId,
        _ => null,
    };

    private static partial class Log
    {
        [LoggerMessage(2020, LogLevel.Warning, "Connection {ConnectionId} called '{Method}' before registering; refused.")]
        public static partial void UnregisteredCall(ILogger logger, string connectionId, string method);

        [LoggerMessage(2021, LogLevel.Error, "Hub method '{Method}' failed for {Caller} (error id {ErrorId}).")]
        public static partial void MethodFailed(ILogger logger, string method, string caller, string errorId, Exception exception);
    }
}
