namespace OrbitMesh;

/// <summary>
/// The stable error codes OrbitMesh puts on the wire.
/// </summary>
public static class MeshErrorCodes
{
    /// <summary>The handler threw.</summary>
    public const string HandlerFailed = "handler_failed";

    /// <summary>The agent has no handler for the command.</summary>
    public const string UnknownCommand = "unknown_command";

    /// <summary>The parameters were not of the shape the handler expects.</summary>
    public const string InvalidParameters = "invalid_parameters";

    /// <summary>The work was cancelled.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The work did not finish in time.</summary>
    public const string Timeout = "timeout";

    /// <summary>The agent is at its concurrency limit.</summary>
    public const string Busy = "busy";

    /// <summary>The agent is not allowed to run the command.</summary>
    public const string NotAllowed = "not_allowed";

    /// <summary>No agent matches the target.</summary>
    public const string NoAgent = "no_agent";

    /// <summary>The agent disconnected before it answered.</summary>
    public const string AgentDisconnected = "agent_disconnected";

    /// <summary>The agent is shutting down and gave the job back; it is retried elsewhere.</summary>
    public const string AgentShutdown = "agent_shutdown";

    /// <summary>A stream of items or input was interrupted and cannot be resumed.</summary>
    public const string StreamInterrupted = "stream_interrupted";

    /// <summary>The request was malformed.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>An unexpected error on the server; details are in the server log.</summary>
    public const string Internal = "internal_error";
}
