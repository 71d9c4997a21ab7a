namespace OrbitMesh.Transport;

/// <summary>The encoding of hub messages between agent and server (docs/protocol.md §2). The server speaks both.</summary>
public enum MeshHubProtocol
{
    /// <summary>SignalR's JSON hub protocol (text, record-separated): readable on the wire. The default.</summary>
    Json,

    /// <summary>SignalR's MessagePack hub protocol (binary, length-prefixed) with OrbitMesh's formatters: smaller frames, less work per message.</summary>
    MessagePack,
}
