using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Hubs;

/// <summary>
/// Closes an agent connection politely: sends a <see cref="DisconnectNotice"/>, gives the agent a
/// grace period to close by itself, then aborts the connection.
/// </summary>
internal sealed partial class ConnectionCloser(IHubContext<AgentHub, IAgentClient> hub, TimeProvider time, ILogger<ConnectionCloser> logger)
{
    public void Close(HubCallerContext context, DisconnectNotice notice, TimeSpan gracePeriod) =>
        _ = Task.Run(() => CloseAsync(context, notice, gracePeriod));

    private async Task CloseAsync(HubCallerContext context, DisconnectNotice notice, TimeSpan gracePeriod)
    {
        try
        {
            await hub.Clients.Client(context.ConnectionId).Disconnect(notice)
                .WaitAsync(gracePeriod + TimeSpan.FromSeconds(1), time, context.ConnectionAborted).ConfigureAwait(false);
            await Task.Delay(gracePeriod, time, context.ConnectionAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // The connection closed by itself.
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException)
        {
            Log.NoticeFailed(logger, context.ConnectionId, ex.Message);
        }

        Log.Aborting(logger, context.ConnectionId, notice.Code);
        context.Abort();
    }

    private static partial class Log
    {
        [LoggerMessage(2030, LogLevel.Debug, "Could not deliver the disconnect notice to {ConnectionId}: {Reason}")]
        public static partial void NoticeFailed(ILogger logger, string connectionId, string reason);

        [LoggerMessage(2031, LogLevel.Information, "Aborting connection {ConnectionId} ({Code}).")]
        public static partial void Aborting(ILogger logger, string connectionId, string code);
    }
}
