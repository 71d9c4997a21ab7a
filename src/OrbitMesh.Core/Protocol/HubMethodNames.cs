namespace OrbitMesh.Protocol;

/// <summary>
/// The names of the hub methods in both directions, as they appear in the <c>target</c> field of
/// SignalR invocation messages. docs/protocol.md describes each one.
/// </summary>
public static class HubMethodNames
{
    /// <summary>The path agents connect to, relative to the server's base URL.</summary>
    public const string HubPath = "/mesh";

    /// <summary>Agent → server: register the connection as an agent. Must be the first invocation.</summary>
    public const string Register = nameof(IServerHub.Register);

    /// <summary>Agent → server: report load; renews liveness.</summary>
    public const string Heartbeat = nameof(IServerHub.Heartbeat);

    /// <summary>Agent → server: accept an assignment.</summary>
    public const string AcknowledgeJob = nameof(IServerHub.AcknowledgeJob);

    /// <summary>Agent → server: refuse an assignment.</summary>
    public const string RejectJob = nameof(IServerHub.RejectJob);

    /// <summary>Agent → server: progress of a running job.</summary>
    public const string ReportProgress = nameof(IServerHub.ReportProgress);

    /// <summary>Agent → server: streamed items of a running job.</summary>
    public const string SendJobItems = nameof(IServerHub.SendJobItems);

    /// <summary>Agent → server: the end of an attempt.</summary>
    public const string CompleteJob = nameof(IServerHub.CompleteJob);

    /// <summary>Agent → server: desired properties applied.</summary>
    public const string AcknowledgeDesired = nameof(IServerHub.AcknowledgeDesired);

    /// <summary>Agent → server: reported properties.</summary>
    public const string ReportProperties = nameof(IServerHub.ReportProperties);

    /// <summary>Agent → server: a lifecycle change.</summary>
    public const string ReportStatus = nameof(IServerHub.ReportStatus);

    /// <summary>Server → agent: desired properties.</summary>
    public const string DesiredPropertiesChanged = nameof(IAgentClient.DesiredPropertiesChanged);

    /// <summary>Server → agent: run a job.</summary>
    public const string AssignJob = nameof(IAgentClient.AssignJob);

    /// <summary>Server → agent: stop a job.</summary>
    public const string CancelJob = nameof(IAgentClient.CancelJob);

    /// <summary>Server → agent: input streamed to a job.</summary>
    public const string JobInput = nameof(IAgentClient.JobInput);

    /// <summary>Server → agent: run a command, no result.</summary>
    public const string Notify = nameof(IAgentClient.Notify);

    /// <summary>Server → agent: opaque bytes.</summary>
    public const string Raw = nameof(IAgentClient.Raw);

    /// <summary>Server → agent (with result): execute a command and return its result.</summary>
    public const string Invoke = nameof(IAgentClient.Invoke);

    /// <summary>Server → agent: the server is about to close this connection.</summary>
    public const string Disconnect = nameof(IAgentClient.Disconnect);
}
