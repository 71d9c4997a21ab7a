using Microsoft.Extensions.Logging;

namespace OrbitMesh.Server.Jobs;

internal sealed partial class JobManager
{
    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Debug, "Job {JobId} submitted ({Command}, priority {Priority}).")]
        public static partial void Submitted(ILogger logger, string jobId, string command, string priority);

        [LoggerMessage(2101, LogLevel.Debug, "Idempotency key {Key} already names job {JobId}; returning it.")]
        public static partial void IdempotentHit(ILogger logger, string jobId, string key);

        [LoggerMessage(2102, LogLevel.Debug, "Job {JobId} completed on {AgentId} (attempt {Attempt}).")]
        public static partial void Completed(ILogger logger, string jobId, string agentId, int attempt);

        [LoggerMessage(2103, LogLevel.Information, "Job {JobId} ended {Status}: {Error}")]
        public static partial void Ended(ILogger logger, string jobId, string status, string error);

        [LoggerMessage(2104, LogLevel.Information, "Job {JobId}: cancellation requested ({Reason}).")]
        public static partial void CancelRequested(ILogger logger, string jobId, string reason);

        [LoggerMessage(2105, LogLevel.Warning, "Could not tell agent {AgentId} to stop job {JobId}: {Reason}")]
        public static partial void StopNotDelivered(ILogger logger, string jobId, string agentId, string reason);

        [LoggerMessage(2106, LogLevel.Error, "A job event hook threw.")]
        public static partial void HookFailed(ILogger logger, Exception exception);

        [LoggerMessage(2107, LogLevel.Warning, "A watcher of job {JobId} fell too far behind and was dropped.")]
        public static partial void WatcherDropped(ILogger logger, string jobId);

        [LoggerMessage(2108, LogLevel.Warning, "Job {JobId} cannot be placed: {Reason}")]
        public static partial void Unplaceable(ILogger logger, string jobId, string reason);

        [LoggerMessage(2109, LogLevel.Warning, "Dispatch middleware failed for job {JobId}.")]
        public static partial void MiddlewareFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(2110, LogLevel.Error, "Delivering job {JobId} failed.")]
        public static partial void DeliveryFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(2111, LogLevel.Warning, "Agent {AgentId} did not acknowledge job {JobId} within {TimeoutMs:0} ms.")]
        public static partial void AckTimedOut(ILogger logger, string jobId, string agentId, double timeoutMs);

        [LoggerMessage(2112, LogLevel.Information, "Job {JobId} taken back from agent {AgentId}: {Reason}.")]
        public static partial void Reassigned(ILogger logger, string jobId, string agentId, string reason);

        [LoggerMessage(2113, LogLevel.Warning, "Input stream of job {JobId} failed: {Reason}")]
        public static partial void InputFailed(ILogger logger, string jobId, string reason);

        [LoggerMessage(2114, LogLevel.Warning, "The lease of job {JobId} on agent {AgentId} (token {FencingToken}) lapsed; it goes to another agent.")]
        public static partial void LeaseExpired(ILogger logger, string jobId, string agentId, long fencingToken);

        [LoggerMessage(2115, LogLevel.Information, "Agent {AgentId} refused job {JobId} ({Code}): {Message}")]
        public static partial void Refused(ILogger logger, string jobId, string agentId, string code, string message);

        [LoggerMessage(2116, LogLevel.Information, "Job {JobId} failed attempt {Failed} of {MaxAttempts}; retrying in {DelayMs:0} ms.")]
        public static partial void RetryScheduled(ILogger logger, string jobId, int failed, int maxAttempts, double delayMs);

        [LoggerMessage(2117, LogLevel.Warning, "Agent {AgentId} holds job {JobId} with stale token {FencingToken}; told it to stop.")]
        public static partial void StaleHeldJob(ILogger logger, string jobId, string agentId, long fencingToken);

        [LoggerMessage(2124, LogLevel.Error, "Job {JobId} fails: {Reason}")]
        public static partial void SecretsUnavailable(ILogger logger, string jobId, string reason);

        [LoggerMessage(2123, LogLevel.Debug, "Job {JobId} sent to agent {AgentId} (attempt {Attempt}, token {FencingToken}).")]
        public static partial void Sent(ILogger logger, string jobId, string agentId, int attempt, long fencingToken);

        [LoggerMessage(2125, LogLevel.Information, "Claimed jobs from the shared store: {Pending} pending, {Reassigned} sent back to the queue (not acknowledged), {Running} running on this server's agents.")]
        public static partial void Claimed(ILogger logger, int pending, int reassigned, int running);

        [LoggerMessage(2127, LogLevel.Information, "Handed over job {JobId}: its agent {AgentId} is connected to another server, which takes it.")]
        public static partial void HandedOver(ILogger logger, string jobId, string agentId);

        [LoggerMessage(2126, LogLevel.Debug, "Released job {JobId}: no agent of this server takes it; another server may claim it.")]
        public static partial void Released(ILogger logger, string jobId);

        [LoggerMessage(2119, LogLevel.Information, "Recovered unfinished jobs: {Pending} pending, {Reassigned} sent back to the queue (not acknowledged), {Running} running (waiting for their agents).")]
        public static partial void Recovered(ILogger logger, int pending, int reassigned, int running);

        [LoggerMessage(2122, LogLevel.Information, "Agent {AgentId} reconnected without job {JobId}; it goes to another agent.")]
        public static partial void Unheld(ILogger logger, string jobId, string agentId);

        [LoggerMessage(2118, LogLevel.Warning, "Rejected a stale {What} for job {JobId} from agent {AgentId}: token {FencingToken}, current {CurrentToken}. Not recorded.")]
        public static partial void StaleReport(ILogger logger, string what, string jobId, string agentId, long fencingToken, long currentToken);
    }
}
