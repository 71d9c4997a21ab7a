using OrbitMesh.Agent;
using OrbitMesh.Grid.Links;

namespace OrbitMesh.Grid;

/// <summary>Lets the server drive direct links on a star: <see cref="GridCommands.LinkExpect"/> and <see cref="GridCommands.LinkPush"/>.</summary>
public static class GridLinkAgentBuilderExtensions
{
    /// <summary>
    /// Registers the direct-link commands served by <paramref name="endpoint"/> and advertises its address in
    /// the agent's metadata (<c>grid.data</c>), so the server copies star to star over it.
    /// </summary>
    public static MeshAgentBuilder AddGridLinks(this MeshAgentBuilder builder, GridDataEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endpoint);
        return builder
            .WithMetadata(GridLinkProtocol.MetadataKey, endpoint.AdvertisedAddress.ToString())
            .RegisterHandler(GridCommands.LinkExpect, async (command, cancellationToken) =>
                await ExpectAsync(endpoint, command.GetParameters<LinkExpectRequest>() ?? throw new MeshParameterException("The expectation is missing."), cancellationToken).ConfigureAwait(false))
            .RegisterHandler(GridCommands.LinkPush, async (command, cancellationToken) =>
                await endpoint.Pusher.PushAsync(command.GetParameters<LinkPushRequest>() ?? throw new MeshParameterException("The push is missing."), cancellationToken).ConfigureAwait(false));
    }

    private static async Task<LinkExpectReply> ExpectAsync(GridDataEndpoint endpoint, LinkExpectRequest request, CancellationToken cancellationToken)
    {
        if (request.TargetNodeId != endpoint.NodeId)
        {
            throw new MeshAccessDeniedException($"This star is '{endpoint.NodeId}', not '{request.TargetNodeId}'.");
        }

        if (string.IsNullOrEmpty(request.JobId) || string.IsNullOrEmpty(request.SourceNodeId) || request.Length < 0)
        {
            throw new MeshParameterException("'jobId', 'sourceNodeId' and a 'length' of at least 0 are required.");
        }

        long offset = 0;
        if (request.Resume)
        {
            // A broken push may still hold the file: what it wrote counts only once it has let go.
            await endpoint.Expectations.IdleAsync(request.JobId, cancellationToken).ConfigureAwait(false);
        }

        // Resolved through the jail now, so a path outside the allowed roots is refused before anything is sent.
        var entry = await endpoint.System.GetEntryAsync(request.Path, cancellationToken).ConfigureAwait(false);
        if (entry is not null && entry.Kind != GridEntryKind.File)
        {
            throw new MeshParameterException($"'{request.Path}' is a {entry.Kind}, not a file.");
        }

        if (request.Resume && entry is not null && entry.Size <= request.Length)
        {
            offset = entry.Size;
        }

        endpoint.Expectations.Expect(request, offset);
        return new LinkExpectReply(endpoint.AdvertisedAddress.ToString(), offset);
    }
}
