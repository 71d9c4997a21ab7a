namespace OrbitMesh;

/// <summary>
/// Work failed on the agent or could not be delivered to one. <see cref="Error"/> holds what crossed the wire.
/// </summary>
public class MeshInvocationException : OrbitMeshException
{
    /// <summary>Creates an exception.</summary>
    public MeshInvocationException()
        : this(new JobError(MeshErrorCodes.HandlerFailed, "The invocation failed."))
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MeshInvocationException(string message)
        : this(new JobError(MeshErrorCodes.HandlerFailed, message))
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public MeshInvocationException(string message, Exception? innerException)
        : this(new JobError(MeshErrorCodes.HandlerFailed, message), innerException)
    {
    }

    /// <summary>Creates an exception from a wire error.</summary>
    public MeshInvocationException(JobError error, Exception? innerException = null, string? agentId = null)
        : base(error?.Code ?? MeshErrorCodes.Internal, Describe(error, agentId), innerException,
            isRetryable: error?.Code is MeshErrorCodes.Busy or MeshErrorCodes.AgentDisconnected or MeshErrorCodes.NoAgent)
    {
        Error = error ?? new JobError(MeshErrorCodes.Internal, "Unknown error.");
        AgentId = agentId;
    }

    /// <summary>The error as it crossed the wire.</summary>
    public JobError Error { get; }

    /// <summary>The agent the work went to, when one was chosen.</summary>
    public string? AgentId { get; }

    private static string Describe(JobError? error, string? agentId)
    {
        var text = error is null ? "The invocation failed." : error.Type is null ? error.Message : $"{error.Type}: {error.Message}";
        return agentId is null ? text : $"Agent '{agentId}': {text}";
    }
}
