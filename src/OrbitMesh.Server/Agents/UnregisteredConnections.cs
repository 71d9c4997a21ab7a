using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Server.Agents;

/// <summary>Connections that completed the handshake but have not registered yet, with when they connected.</summary>
internal sealed class UnregisteredConnections(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (HubCallerContext Context, long ConnectedAt)> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public void Add(HubCallerContext context) => _connections[context.ConnectionId] = (context, time.GetTimestamp());

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>Removes and returns the connections that have waited longer than <paramref name="timeout"/>.</summary>
    public List<HubCallerContext> TakeExpired(TimeSpan timeout)
    {
        var expired = new List<HubCallerContext>();
        foreach (var (id, (context, connectedAt)) in _connections)
        {
            if (time.GetElapsedTime(connectedAt) > timeout && _connections.TryRemove(id, out _))
            {
                expired.Add(context);
            }
        }

        return expired;
    }
}
