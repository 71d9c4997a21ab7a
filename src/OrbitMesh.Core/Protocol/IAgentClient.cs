namespace OrbitMesh.Protocol;

/// <summary>
/// The methods the server calls on a connected agent.
/// </summary>
public interface IAgentClient
{
    /// <summary>
    /// Runs a command and returns its result (a SignalR client result: the server awaits the agent's completion).
    /// </summary>
    Task<InvokeResult> Invoke(InvokeRequest request, CancellationToken cancellationToken);

    /// <summary>The server is about to close the connection, and says why.</summary>
    Task Disconnect(DisconnectNotice notice);

    /// <summary>Run a job: acknowledge (or reject) it first.</summary>
    Task AssignJob(JobAssignment assignment);

    /// <summary>Stop a job (cancelled by the caller, or timed out).</summary>
    Task CancelJob(JobCancellation cancellation);

    /// <summary>Input the caller streams to a running job.</summary>
    Task JobInput(JobInputChunk chunk);

    /// <summary>Run a command without a result or a job record (communication-level send).</summary>
    Task Notify(InvokeRequest request);

    /// <summary>Opaque bytes (communication-level raw send).</summary>
    Task Raw(RawMessage message);

    /// <summary>The desired properties changed (or the agent reconnected behind them).</summary>
    Task DesiredPropertiesChanged(TwinDesired desired);
}
