using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// The open hub connections of each enrolled node, so that revoking a node closes them at once and a
/// connection is closed the moment its certificate expires, mid-stream or not.
/// </summary>
internal sealed class NodeConnections(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Tracked>> _byNode = new(StringComparer.Ordinal);

    public void Add(string nodeId, HubCallerContext context, DateTimeOffset expiresAt)
    {
        var delay = expiresAt - time.GetUtcNow();
        var timer = time.CreateTimer(static state => ((HubCallerContext)state!).Abort(), context, delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        _byNode.GetOrAdd(nodeId, _ => new(StringComparer.Ordinal))[context.ConnectionId] = new Tracked(context, timer);
    }

    public void Remove(string nodeId, string connectionId)
    {
        if (_byNode.TryGetValue(nodeId, out var connections) && connections.TryRemove(connectionId, out var tracked))
        {
            tracked.Timer.Dispose();
        }
    }

    /// <summary>Aborts every open connection of the node; returns how many.</summary>
    public int CloseAll(string nodeId)
    {
        if (!_byNode.TryGetValue(nodeId, out var connections))
        {
            return 0;
        }

        var closed = 0;
        foreach (var (connectionId, tracked) in connections)
        {
            if (connections.TryRemove(connectionId, out _))
            {
                tracked.Timer.Dispose();
                tracked.Context.Abort();
                closed++;
            }
        }

        return closed;
    }

    public int Count(string nodeId) => _byNode.TryGetValue(nodeId, out var connections) ? connections.Count : 0;

    private sealed record Tracked(HubCallerContext Context, ITimer Timer);
}
