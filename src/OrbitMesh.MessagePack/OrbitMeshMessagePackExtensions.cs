using Microsoft.AspNetCore.SignalR;
using OrbitMesh.MessagePack;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds OrbitMesh's MessagePack hub protocol to a SignalR server (<c>AddSignalR()</c>) or client (<c>HubConnectionBuilder</c>).</summary>
public static class OrbitMeshMessagePackExtensions
{
    /// <summary>
    /// Adds SignalR's MessagePack hub protocol with <see cref="OrbitMeshMessagePack.Options"/>. On a server the hub
    /// then speaks both JSON and MessagePack (the client chooses in its handshake); on a client it is the protocol used.
    /// </summary>
    public static TBuilder AddOrbitMeshMessagePackProtocol<TBuilder>(this TBuilder builder)
        where TBuilder : ISignalRBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMessagePackProtocol(o => o.SerializerOptions = OrbitMeshMessagePack.Options);
        return builder;
    }
}
