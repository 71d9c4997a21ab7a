using System.Text.Json;

namespace OrbitMesh.Protocol;

/// <summary>
/// Server → agent (<see cref="IAgentClient.AssignJob"/>): run this job. The agent must acknowledge it
/// (<see cref="IServerHub.AcknowledgeJob"/>) and wait for the server to accept the acknowledgement
/// before it runs the handler, or reject it (<see cref="IServerHub.RejectJob"/>).
/// </summary>
public sealed record JobAssignment
{
    /// <summary>The job id.</summary>
    public required string JobId { get; init; }

    /// <summary>The delivery number, from 1. An agent never runs the same (job id, attempt) twice.</summary>
    public int Attempt { get; init; }

    /// <summary>Identifies this assignment; every report about it must carry it.</summary>
    public long FencingToken { get; init; }

    /// <summary>The caller's idempotency key, when it gave one.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The command.</summary>
    public required string Command { get; init; }

    /// <summary>The parameters.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>How the job executes.</summary>
    public ExecutionPattern Pattern { get; init; }

    /// <summary>How long the handler may run, in milliseconds; null for no limit.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>Ties the job to a larger run (a workflow instance, a fan-out).</summary>
    public string? CorrelationId { get; init; }

    /// <summary>True when the caller streams input to the job (<see cref="IAgentClient.JobInput"/>).</summary>
    public bool HasInput { get; init; }

    /// <summary>How long the lease lasts without renewal, in milliseconds; progress and heartbeats renew it.</summary>
    public int LeaseDurationMs { get; init; }

    /// <summary>W3C trace context of the dispatch, so one trace spans server and agent.</summary>
    public string? TraceParent { get; init; }

    /// <summary>A fresh random value per assignment sent: an agent runs an assignment with a nonce it has seen at most once.</summary>
    public string? Nonce { get; init; }

    /// <summary>When the assignment stops being valid (server time): a later delivery, such as a replay, is refused with <c>not_allowed</c>.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>Agent → server: the agent accepts the assignment and is about to run it.</summary>
public sealed record JobAck(string JobId, int Attempt, long FencingToken);

/// <summary>Agent → server: the agent will not run the assignment.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Attempt">The attempt.</param>
/// <param name="FencingToken">The assignment's token.</param>
/// <param name="Code"><see cref="MeshErrorCodes.Busy"/>, <see cref="MeshErrorCodes.UnknownCommand"/> or <see cref="MeshErrorCodes.NotAllowed"/>.</param>
/// <param name="Message">Why, for people.</param>
public sealed record JobNack(string JobId, int Attempt, long FencingToken, string Code, string Message);

/// <summary>Agent → server: progress of a running job; renews its lease.</summary>
/// <param name="JobId">The job.</param>
/// <param name="FencingToken">The assignment's token.</param>
/// <param name="Percent">0 to 100, or null when unknown.</param>
/// <param name="Message">What is happening.</param>
public sealed record JobProgress(string JobId, long FencingToken, double? Percent, string? Message);

/// <summary>Agent → server: streamed items of a job, in order.</summary>
/// <param name="JobId">The job.</param>
/// <param name="FencingToken">The assignment's token.</param>
/// <param name="Sequence">The index of the first item in this batch, from 0; lets the server drop items it already has after a resend.</param>
/// <param name="Items">The items.</param>
public sealed record JobItems(string JobId, long FencingToken, long Sequence, IReadOnlyList<JsonElement> Items);

/// <summary>Agent → server: the attempt ended.</summary>
public sealed record JobCompletion
{
    /// <summary>The job.</summary>
    public required string JobId { get; init; }

    /// <summary>The attempt.</summary>
    public int Attempt { get; init; }

    /// <summary>The assignment's token.</summary>
    public long FencingToken { get; init; }

    /// <summary>True when the handler returned a result.</summary>
    public bool Success { get; init; }

    /// <summary>The result.</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Why it failed; code <see cref="MeshErrorCodes.Cancelled"/> or <see cref="MeshErrorCodes.Timeout"/> when it was stopped.</summary>
    public JobError? Error { get; init; }

    /// <summary>How many items the job streamed in all (so the server knows it has them all).</summary>
    public long ItemCount { get; init; }
}

/// <summary>The server's answer to an agent's report about a job.</summary>
public sealed record JobReportResult
{
    /// <summary>True when the server recorded the report.</summary>
    public bool Accepted { get; init; }

    /// <summary>Why not: <c>stale</c> (another assignment holds the job), <c>unknown_job</c>, <c>invalid_state</c>, or <c>cancelled</c>.</summary>
    public string? Code { get; init; }

    /// <summary>For people.</summary>
    public string? Message { get; init; }

    /// <summary>True when the agent must stop running the job.</summary>
    public bool Stop { get; init; }

    /// <summary>An accepted report.</summary>
    public static JobReportResult Ok { get; } = new() { Accepted = true };

    /// <summary>A refused report.</summary>
    public static JobReportResult Refused(string code, string message, bool stop = true) => new() { Accepted = false, Code = code, Message = message, Stop = stop };
}

/// <summary>The codes of refused job reports.</summary>
public static class JobReportCodes
{
    /// <summary>Another assignment (a newer fencing token) holds the job.</summary>
    public const string Stale = "stale";

    /// <summary>The server does not know the job.</summary>
    public const string UnknownJob = "unknown_job";

    /// <summary>The job is not in a state that takes this report.</summary>
    public const string InvalidState = "invalid_state";

    /// <summary>The job was cancelled.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The server cannot store the report now (for example, its disk is full); keep it and send it again later.</summary>
    public const string StorageUnavailable = "storage_unavailable";

    /// <summary>Another server of the cluster holds the job now; keep the report (a completion) and send it again later.</summary>
    public const string OwnedElsewhere = "owned_elsewhere";
}

/// <summary>Server → agent: stop a job.</summary>
/// <param name="JobId">The job.</param>
/// <param name="FencingToken">The assignment's token.</param>
/// <param name="Reason"><see cref="MeshErrorCodes.Cancelled"/> or <see cref="MeshErrorCodes.Timeout"/>.</param>
public sealed record JobCancellation(string JobId, long FencingToken, string Reason);

/// <summary>Server → agent: input items streamed by the caller to a job, in order.</summary>
/// <param name="JobId">The job.</param>
/// <param name="FencingToken">The assignment's token.</param>
/// <param name="Sequence">The index of the first item, from 0.</param>
/// <param name="Items">The items.</param>
/// <param name="Completed">True when the input ends after these items.</param>
/// <param name="Error">Set when the caller's input failed; the input ends with this error.</param>
public sealed record JobInputChunk(string JobId, long FencingToken, long Sequence, IReadOnlyList<JsonElement> Items, bool Completed, string? Error = null);

/// <summary>A job an agent holds, as it reports it in heartbeats and registrations.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Attempt">The attempt.</param>
/// <param name="FencingToken">The assignment's token.</param>
public sealed record HeldJob(string JobId, int Attempt, long FencingToken);

/// <summary>Server → agent: opaque bytes for <c>IMeshClient.SendRawAsync</c>.</summary>
/// <param name="Payload">The bytes (base64 in JSON).</param>
public sealed record RawMessage(byte[] Payload);
