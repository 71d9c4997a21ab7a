using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Agents;

/// <summary>
/// Holds every agent the server knows and the connection each one is registered on. Entries are
/// mutated under their own lock; registration and removal also take the registry's lock so that a
/// replacement of one id by a newer connection is atomic.
/// </summary>
internal sealed partial class AgentRegistry(TimeProvider time, ILogger<AgentRegistry> logger) : IAgentRegistry
{
    private readonly ConcurrentDictionary<string, AgentEntry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AgentEntry> _byConnection = new(StringComparer.Ordinal);
    private readonly object _registrationLock = new();

    public int ConnectedCount => _byConnection.Count;

    public IReadOnlyList<AgentInfo> GetAgents() =>
        _byId.Values.Select(e => e.Snapshot()).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();

    public AgentInfo? GetAgent(string agentId) => _byId.TryGetValue(agentId, out var entry) ? entry.Snapshot() : null;

    /// <summary>The connection an agent is registered on, when it is connected.</summary>
    public bool TryGetConnectionId(string agentId, out string connectionId)
    {
        if (_byId.TryGetValue(agentId, out var entry) && entry.ConnectionId is { } id)
        {
            connectionId = id;
            return true;
        }

        connectionId = string.Empty;
        return false;
    }

    /// <summary>The agent registered on a connection, if any.</summary>
    public AgentEntry? FindByConnection(string connectionId) => _byConnection.TryGetValue(connectionId, out var entry) ? entry : null;

    /// <summary>
    /// Registers a connection as an agent. When the id is already connected on another connection,
    /// that connection is returned as <see cref="RegisterOutcome.Replaced"/> for the caller to close.
    /// </summary>
    public RegisterOutcome Register(string connectionId, HubCallerContext context, AgentRegistration registration)
    {
        var now = time.GetUtcNow();
        lock (_registrationLock)
        {
            ReplacedConnection? replaced = null;
            if (_byId.TryGetValue(registration.Id, out var existing))
            {
                lock (existing.Gate)
                {
                    if (existing.ConnectionId is { } oldConnection && oldConnection != connectionId)
                    {
                        replaced = new ReplacedConnection(oldConnection, existing.Context!, existing);
                        _byConnection.TryRemove(oldConnection, out _);
                    }
                }
            }

            var entry = new AgentEntry(registration, connectionId, context, now);
            _byId[registration.Id] = entry;
            _byConnection[connectionId] = entry;
            return new RegisterOutcome(entry, replaced);
        }
    }

    /// <summary>Marks the agent on this connection disconnected. Returns it, or null when the connection held no (current) agent.</summary>
    public AgentEntry? Unregister(string connectionId)
    {
        lock (_registrationLock)
        {
            if (!_byConnection.TryRemove(connectionId, out var entry))
            {
                return null;
            }

            lock (entry.Gate)
            {
                if (entry.ConnectionId != connectionId)
                {
                    return null;
                }

                entry.ConnectionId = null;
                entry.Context = null;
                entry.Status = AgentStatus.Disconnected;
                entry.DisconnectedAt = time.GetUtcNow();
            }

            return entry;
        }
    }

    /// <summary>Records a heartbeat. Returns true when it brought an Unreachable agent back to Ready.</summary>
    public bool Heartbeat(AgentEntry entry, AgentLoad load)
    {
        lock (entry.Gate)
        {
            entry.LastHeartbeatAt = time.GetUtcNow();
            entry.Load = load;
            if (entry.Status == AgentStatus.Unreachable && entry.ConnectionId is not null)
            {
                entry.Status = AgentStatus.Ready;
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// Marks connected agents whose last heartbeat is older than <paramref name="unreachableAfter"/>
    /// Unreachable, returns the connections silent for longer than <paramref name="closeAfter"/> (for
    /// the caller to close: the SignalR server does not time out every silent WebSocket by itself), and
    /// forgets disconnected agents older than <paramref name="retention"/>.
    /// </summary>
    public List<(string AgentId, HubCallerContext Context)> Sweep(TimeSpan unreachableAfter, TimeSpan closeAfter, TimeSpan retention)
    {
        var now = time.GetUtcNow();
        var silent = new List<(string, HubCallerContext)>();
        foreach (var entry in _byId.Values)
        {
            lock (entry.Gate)
            {
                var quiet = now - (entry.LastHeartbeatAt ?? entry.ConnectedAt);
                if (entry.ConnectionId is not null && entry.Context is { } context && quiet > closeAfter)
                {
                    silent.Add((entry.Id, context));
                }

                if (entry.ConnectionId is not null && entry.Status is AgentStatus.Ready or AgentStatus.Running && quiet > unreachableAfter)
                {
                    entry.Status = AgentStatus.Unreachable;
                    Log.AgentUnreachable(logger, entry.Id, quiet.TotalSeconds);
                }
                else if (entry.ConnectionId is null && entry.DisconnectedAt is { } disconnectedAt && now - disconnectedAt > retention)
                {
                    _byId.TryRemove(new KeyValuePair<string, AgentEntry>(entry.Id, entry));
                }
            }
        }

        return silent;
    }

    internal readonly record struct RegisterOutcome(AgentEntry Agent, ReplacedConnection? Replaced);

    internal sealed record ReplacedConnection(string ConnectionId, HubCallerContext Context, AgentEntry Previous);

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Warning, "Agent {AgentId} missed its heartbeats ({Seconds:0.0} s since the last); marked Unreachable.")]
        public static partial void AgentUnreachable(ILogger logger, string agentId, double seconds);
    }
}
