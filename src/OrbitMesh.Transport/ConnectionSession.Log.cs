using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport;

internal sealed partial class ConnectionSession
{
    private static partial class Log
    {
        [LoggerMessage(4020, LogLevel.Information, "The server sent a Close message (error: {Error}, allowReconnect: {AllowReconnect}).")]
        public static partial void ServerClosed(ILogger logger, string error, bool allowReconnect);

        [LoggerMessage(4021, LogLevel.Warning, "Could not bind the server's invocation of '{Target}': {Reason}")]
        public static partial void InvocationBindingFailed(ILogger logger, string target, string reason);

        [LoggerMessage(4022, LogLevel.Warning, "Could not read an item of stream {StreamId}: {Reason}")]
        public static partial void StreamBindingFailed(ILogger logger, string streamId, string reason);

        [LoggerMessage(4023, LogLevel.Debug, "Ignoring an unexpected {MessageType} message.")]
        public static partial void UnexpectedMessage(ILogger logger, string messageType);

        [LoggerMessage(4024, LogLevel.Warning, "The server invoked '{Target}', which has no handler.")]
        public static partial void NoHandler(ILogger logger, string target);

        [LoggerMessage(4025, LogLevel.Warning, "The server expects a result from '{Target}', which has no result handler.")]
        public static partial void NoResultHandler(ILogger logger, string target);

        [LoggerMessage(4026, LogLevel.Error, "The handler for '{Target}' threw.")]
        public static partial void HandlerFailed(ILogger logger, string target, Exception exception);

        [LoggerMessage(4027, LogLevel.Warning, "Upload stream {StreamId} failed: {Reason}")]
        public static partial void UploadFailed(ILogger logger, string streamId, string reason);
    }
}
