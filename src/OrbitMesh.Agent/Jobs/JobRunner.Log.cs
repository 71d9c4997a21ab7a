using Microsoft.Extensions.Logging;

namespace OrbitMesh.Agent.Jobs;

internal sealed partial class JobRunner
{
    private static partial class Log
    {
        [LoggerMessage(3100, LogLevel.Warning, "Assignment of job {JobId} attempt {Attempt} was already received; not running it twice.")]
        public static partial void DuplicateAssignment(ILogger logger, string jobId, int attempt);

        [LoggerMessage(3115, LogLevel.Warning, "Assignment of job {JobId} attempt {Attempt} expired at {ExpiresAt:O} before it arrived; refusing it.")]
        public static partial void ExpiredAssignment(ILogger logger, string jobId, int attempt, DateTimeOffset expiresAt);

        [LoggerMessage(3101, LogLevel.Information, "Stopping job {JobId} ({Reason}).")]
        public static partial void StopRequested(ILogger logger, string jobId, string reason);

        [LoggerMessage(3102, LogLevel.Warning, "Drain period over; giving job {JobId} back to the server.")]
        public static partial void DrainStopping(ILogger logger, string jobId);

        [LoggerMessage(3103, LogLevel.Warning, "Could not acknowledge job {JobId} ({Reason}); not running it.")]
        public static partial void AckFailed(ILogger logger, string jobId, string reason);

        [LoggerMessage(3104, LogLevel.Information, "The server did not accept the acknowledgement of job {JobId} ({Code}: {Message}); not running it.")]
        public static partial void AckRefused(ILogger logger, string jobId, string code, string message);

        [LoggerMessage(3105, LogLevel.Error, "Job {JobId} crashed the runner.")]
        public static partial void JobCrashed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(3106, LogLevel.Warning, "The handler of job {JobId} failed.")]
        public static partial void HandlerFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(3107, LogLevel.Warning, "The server stopped job {JobId} ({Code}): {Message}")]
        public static partial void StoppedByServer(ILogger logger, string jobId, string code, string message);

        [LoggerMessage(3108, LogLevel.Warning, "The server refused {Method} for job {JobId}: {Reason}")]
        public static partial void ReportFailed(ILogger logger, string method, string jobId, string reason);

        [LoggerMessage(3109, LogLevel.Warning, "The server did not record the completion of job {JobId} ({Code}): {Message}")]
        public static partial void CompletionRefused(ILogger logger, string jobId, string code, string message);

        [LoggerMessage(3110, LogLevel.Information, "Disconnected; the completion of job {JobId} is kept and delivered after reconnecting.")]
        public static partial void CompletionBuffered(ILogger logger, string jobId);

        [LoggerMessage(3112, LogLevel.Error, "Gave up delivering the completion of job {JobId} after {Failures} server failures: {Reason}")]
        public static partial void CompletionAbandoned(ILogger logger, string jobId, int failures, string reason);

        [LoggerMessage(3111, LogLevel.Information, "Refusing job {JobId} ({Code}): {Message}")]
        public static partial void Rejecting(ILogger logger, string jobId, string code, string message);

        [LoggerMessage(3113, LogLevel.Debug, "Job {JobId} attempt {Attempt} (token {FencingToken}) acknowledged; running it.")]
        public static partial void Running(ILogger logger, string jobId, int attempt, long fencingToken);

        [LoggerMessage(3114, LogLevel.Debug, "Job {JobId} attempt {Attempt} finished (success: {Success}); delivering its completion.")]
        public static partial void Finished(ILogger logger, string jobId, int attempt, bool success);
    }
}
