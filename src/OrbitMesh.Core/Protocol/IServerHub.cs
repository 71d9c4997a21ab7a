namespace OrbitMesh.Protocol;

/// <summary>
/// The methods an agent calls on the server's hub at <see cref="HubMethodNames.HubPath"/>.
/// </summary>
public interface IServerHub
{
    /// <summary>
    /// Registers this connection as an agent. Must be the first call after the handshake; every other
    /// call fails until it succeeds. Registering an id that is already connected replaces that
    /// connection, which is told why and closed.
    /// </summary>
    Task<RegistrationResult> Register(AgentRegistration registration);

    /// <summary>Reports load and the jobs it holds (renewing their leases) and proves liveness. Returns when to send the next one.</summary>
    Task<HeartbeatAck> Heartbeat(AgentHeartbeat heartbeat);

    /// <summary>Accepts an assignment. The agent runs the job only when the answer is accepted.</summary>
    Task<JobReportResult> AcknowledgeJob(JobAck ack);

    /// <summary>Refuses an assignment (busy, unknown command, not allowed); the server tries another agent.</summary>
    Task<JobReportResult> RejectJob(JobNack nack);

    /// <summary>Reports progress of a running job; renews its lease.</summary>
    Task<JobReportResult> ReportProgress(JobProgress progress);

    /// <summary>Delivers streamed items of a running job.</summary>
    Task<JobReportResult> SendJobItems(JobItems items);

    /// <summary>Ends an attempt with a result or an error. Retried by the agent until the server answers.</summary>
    Task<JobReportResult> CompleteJob(JobCompletion completion);

    /// <summary>Confirms the agent applied the desired properties up to a version.</summary>
    Task AcknowledgeDesired(TwinAck ack);

    /// <summary>Reports a merge patch of the agent's properties; returns the new reported version.</summary>
    Task<TwinReportResult> ReportProperties(TwinReport report);

    /// <summary>Reports a lifecycle change: Stopping (draining), Faulted, or Ready (recovered).</summary>
    Task ReportStatus(AgentStatusReport report);
}
