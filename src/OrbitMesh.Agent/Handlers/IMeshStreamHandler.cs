namespace OrbitMesh.Agent;

/// <summary>
/// Executes one command and produces a stream of items. When called for a single result (request-response),
/// the items are collected into a JSON array.
/// </summary>
public interface IMeshStreamHandler
{
    /// <summary>Produces the items. Honour <paramref name="cancellationToken"/>.</summary>
    IAsyncEnumerable<object?> StreamAsync(MeshCommand command, CancellationToken cancellationToken);
}
