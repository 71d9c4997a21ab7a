using Microsoft.Extensions.Logging;

namespace OrbitMesh.Agent;

public sealed partial class MeshAgent
{
    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "Registered as agent {AgentId} (heartbeat every {HeartbeatIntervalMs} ms, replaced an earlier connection: {Replaced}).")]
        public static partial void Registered(ILogger logger, string agentId, int heartbeatIntervalMs, bool replaced);

        [LoggerMessage(3002, LogLevel.Error, "The server refused the registration: {Reason}")]
        public static partial void RegistrationRefused(ILogger logger, string reason);

        [LoggerMessage(3003, LogLevel.Warning, "Cannot reach the server yet ({Reason}); retrying in {DelayMs:0} ms.")]
        public static partial void ConnectRetry(ILogger logger, string reason, double delayMs);

        [LoggerMessage(3004, LogLevel.Warning, "Heartbeat failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string reason);

        [LoggerMessage(3005, LogLevel.Warning, "The server invoked '{Command}', which this agent has no handler for.")]
        public static partial void UnknownCommand(ILogger logger, string command);

        [LoggerMessage(3006, LogLevel.Warning, "The handler for '{Command}' failed.")]
        public static partial void HandlerFailed(ILogger logger, string command, Exception exception);

        [LoggerMessage(3007, LogLevel.Warning, "The server is closing this connection ({Code}): {Reason} (may reconnect: {Reconnect}).")]
        public static partial void DisconnectNotice(ILogger logger, string code, string reason, bool reconnect);

        [LoggerMessage(3008, LogLevel.Warning, "Connection lost ({Reason}); reconnecting.")]
        public static partial void Reconnecting(ILogger logger, string reason);

        [LoggerMessage(3009, LogLevel.Information, "Registering again was interrupted: {Reason}")]
        public static partial void ReregistrationInterrupted(ILogger logger, string reason);

        [LoggerMessage(3010, LogLevel.Information, "Agent stopped.")]
        public static partial void Closed(ILogger logger);

        [LoggerMessage(3011, LogLevel.Error, "Agent connection closed: {Reason}")]
        public static partial void ClosedWithError(ILogger logger, string reason);

        [LoggerMessage(3012, LogLevel.Warning, "Draining did not finish: {Reason}")]
        public static partial void DrainIncomplete(ILogger logger, string reason);

        [LoggerMessage(3013, LogLevel.Warning, "Sent command '{Command}' failed: {Reason}")]
        public static partial void NotifyFailed(ILogger logger, string command, string reason);

        [LoggerMessage(3014, LogLevel.Debug, "Ignored a raw message: no raw handler is registered.")]
        public static partial void RawIgnored(ILogger logger);

        [LoggerMessage(3016, LogLevel.Warning, "Handler for '{Command}' ignored its cancellation and is still running {TimeoutMs} ms past its start; its slot is freed and its outcome will be dropped.")]
        public static partial void HandlerIgnoredTimeout(ILogger logger, string command, int timeoutMs);

        [LoggerMessage(3015, LogLevel.Debug, "Registering with {Count} held jobs: {Jobs}")]
        public static partial void RegisteringWithHeldJobs(ILogger logger, int count, string jobs);
    }
}
