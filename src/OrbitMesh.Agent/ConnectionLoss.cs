using System.Net.WebSockets;

namespace OrbitMesh.Agent;

/// <summary>
/// Whether an exception from a hub call means the connection is gone, not that the server answered.
/// The official client throws <see cref="InvalidOperationException"/> for a call made while it is not
/// connected; a call in flight when the connection closes fails with the close's own exception (a
/// WebSocket or I/O error, a server timeout) or with a <see cref="TaskCanceledException"/>.
/// </summary>
internal static class ConnectionLoss
{
    public static bool Is(Exception error, CancellationToken cancellationToken = default) => error switch
    {
        InvalidOperationException or WebSocketException or IOException or TimeoutException or HttpRequestException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };
}
