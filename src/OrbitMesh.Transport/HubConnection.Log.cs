using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport;

public sealed partial class HubConnection
{
    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "Connected to {Url}.")]
        public static partial void Connected(ILogger logger, Uri url);

        [LoggerMessage(4002, LogLevel.Information, "Connection stopped.")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(4003, LogLevel.Warning, "Connection lost ({Reason}); reconnecting.")]
        public static partial void ConnectionLost(ILogger logger, string reason);

        [LoggerMessage(4004, LogLevel.Information, "Connection closed ({Reason}).")]
        public static partial void ConnectionClosed(ILogger logger, string reason);

        [LoggerMessage(4005, LogLevel.Debug, "Reconnect attempt {Attempt} after {DelayMs:0} ms.")]
        public static partial void Reconnecting(ILogger logger, long attempt, double delayMs);

        [LoggerMessage(4006, LogLevel.Information, "Reconnect attempt {Attempt} failed: {Reason}")]
        public static partial void ReconnectAttemptFailed(ILogger logger, long attempt, string reason);

        [LoggerMessage(4007, LogLevel.Information, "Reconnected after {Attempts} attempt(s).")]
        public static partial void Reconnected(ILogger logger, long attempts);

        [LoggerMessage(4008, LogLevel.Error, "The server refused the reconnect; giving up: {Reason}")]
        public static partial void ReconnectRefused(ILogger logger, string reason);

        [LoggerMessage(4009, LogLevel.Error, "A connection event handler threw.")]
        public static partial void EventHandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(3380, LogLevel.Error, "Refused the TLS connection to {Url}: {Reason}")]
        public static partial void TlsRejected(ILogger logger, Uri url, string reason);
    }
}
