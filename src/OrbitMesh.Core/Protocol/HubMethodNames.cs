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

    /// <summary>Server → agent (with result): execute a command and return its result.</summary>
    public const string Invoke = nameof(IAgentClient.Invoke);

    /// <summary>Server → agent: the server is about to close this connection.</summary>
    public const string Disconnect = nameof(IAgentClient.Disconnect);
}
