using MessagePack;
using MessagePack.Resolvers;
using OrbitMesh.MessagePack.Formatters;

namespace OrbitMesh.MessagePack;

/// <summary>
/// The MessagePack settings of the OrbitMesh hub protocol (docs/protocol.md §2.2): contracts as maps with the same
/// keys as the JSON encoding, enums as names, times as ISO 8601 strings, JSON documents as the <c>bin</c> of their
/// UTF-8 bytes; data from the network is read with <see cref="MessagePackSecurity.UntrustedData"/>.
/// </summary>
public static class OrbitMeshMessagePack
{
    /// <summary>The name of the SignalR protocol in the handshake: <c>messagepack</c>.</summary>
    public const string ProtocolName = "messagepack";

    /// <summary>OrbitMesh's formatters first, then MessagePack's standard ones.</summary>
    public static IFormatterResolver Resolver { get; } = CompositeResolver.Create(MeshContractResolver.Instance, StandardResolver.Instance);

    /// <summary>The serializer options for hub payloads.</summary>
    public static MessagePackSerializerOptions Options { get; } =
        MessagePackSerializerOptions.Standard.WithResolver(Resolver).WithSecurity(MessagePackSecurity.UntrustedData);
}
