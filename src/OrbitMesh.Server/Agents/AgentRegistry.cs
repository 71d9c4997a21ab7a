using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using OrbitMesh.Protocol;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Agents;

/// <summary>
/// Holds every agent the server knows and the connection each one is registered on. Entries are
/// mutated under their own lock; registration and removal also take the registry's lock so that a
/// replacement of one id by a newer connection is atomic.
/// </summary>
internal sealed partial class AgentRegistry(TimeProvider time, Jobs.AgentSlots slots, ILogger<AgentRegistry> logger) : IAgentRegistry
{
    private readonly ConcurrentDictionary<string, AgentEntry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AgentEntry> _byConnection = new(StringComparer.Ordinal);
    private readonly Index _byCapability = new();
    private readonly Index _byGroup = new();
    private readonly Index _byCommand = new();
    private readonly ConcurrentDictionary<string, AgentEntry> _anyCommand = new(StringComparer.Ordinal);
    private readonly object _registrationLock = new();

    public int ConnectedCount => _byConnection.Count;

    /// <summary>Agents known: connected, or remembered as disconnected.</summary>
    public int KnownCount => _byId.Count;

    public IReadOnlyList<AgentInfo> GetAgents() =>
        _byId.Values.Select(Snapshot).OrderBy(a => a.Id, StringComparer.Ordinal).ToList();

    public AgentInfo? GetAgent(string agentId) => _byId.TryGetValue(agentId, out var entry) ? Snapshot(entry) : null;

    /// <summary>A snapshot of an entry with the server's in-flight count.</summary>
    public AgentInfo Snapshot(AgentEntry entry) => entry.Snapshot(slots.InFlight(entry.Id));

    /// <summary>Every agent with a live, registered connection.</summary>
    public IEnumerable<AgentEntry> Connected => _byConnection.Values;

    /// <summary>Every agent the registry knows, connected or not.</summary>
    public IEnumerable<AgentEntry> All => _byId.Values;

    /// <summary>The current entry for an agent id, connected or not.</summary>
    public AgentEntry? Find(string agentId) => _byId.TryGetValue(agentId, out var entry) ? entry : null;

    /// <summary>
    /// Connected agents that match a target and can run the command, from the indexes (no scan of the
    /// whole fleet). Status, capacity and circuit are for the caller to check.
    /// </summary>
    public IEnumerable<AgentEntry> Matching(AgentTarget? target, string command)
    {
        IEnumerable<AgentEntry> candidates;
        if (target?.AgentId is { } agentId)
        {
            candidates = _byId.TryGetValue(agentId, out var entry) ? [entry] : [];
        }
        else if (target?.Capability is { } capability)
        {
            candidates = _byCapability.Get(capability);
        }
        else if (target?.Group is { } group)
        {
            candidates = _byGroup.Get(group);
        }
        else
        {
            // Agents that registered the command, its family (wasm:* for wasm:resize@2), or no list at all.
            candidates = Protocol.CommandFamilies.FamilyOf(command) is { } family
                ? _byCommand.Get(command).Concat(_byCommand.Get(family)).Concat(_anyCommand.Values).Distinct()
                : _byCommand.Get(command).Concat(_anyCommand.Values);
        }

        return candidates.Where(e => e.ConnectionId is not null && e.Supports(command));
    }

    /// <summary>
    /// Applies a lifecycle trigger to an agent. Returns the entry when the transition was allowed,
    /// null when the agent is unknown; throws <see cref="InvalidAgentTransitionException"/> when the table refuses it.
    /// </summary>
    public AgentEntry? Apply(string agentId, AgentTrigger trigger)
    {
        if (!_byId.TryGetValue(agentId, out var entry))
        {
            return null;
        }

        lock (entry.Gate)
        {
            if (!entry.TryApply(trigger))
            {
                throw new InvalidAgentTransitionException(entry.Lifecycle, trigger);
            }
        }

        return entry;
    }

    /// <summary>Keeps Ready/Running in step with whether the agent has work in flight.</summary>
    public void OnActivity(string agentId, int inFlight)
    {
        if (_byId.TryGetValue(agentId, out var entry))
        {
            lock (entry.Gate)
            {
                entry.TryApply(inFlight > 0 ? AgentTrigger.Execute : AgentTrigger.Idle);
            }
        }
    }

    /// <summary>Adds agents remembered from storage (listed Disconnected) that are not connected now.</summary>
    public void Remember(IEnumerable<StoredAgent> agents)
    {
        foreach (var stored in agents)
        {
            _byId.TryAdd(stored.Id, AgentEntry.FromStored(stored));
        }
    }

    /// <summary>Records an agent's circuit state for listings.</summary>
    public void SetCircuit(string agentId, AgentCircuitState state)
    {
        if (_byId.TryGetValue(agentId, out var entry))
        {
            lock (entry.Gate)
            {
                entry.Circuit = state;
            }
        }
    }

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
    public RegisterOutcome Register(string connectionId, HubCallerContext context, AgentRegistration registration, bool paused = false)
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

            var entry = new AgentEntry(registration, connectionId, context, now, paused);
            if (existing is not null)
            {
                RemoveFromIndexes(existing);
                entry.Circuit = existing.Circuit;
            }

            _byId[registration.Id] = entry;
            _byConnection[connectionId] = entry;
            AddToIndexes(entry);
            slots.SetLimit(entry.Id, entry.MaxConcurrentJobs);
            return new RegisterOutcome(entry, replaced, existing is not null);
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
                entry.TryApply(AgentTrigger.Stopped);
                entry.DisconnectedAt = time.GetUtcNow();
            }

            RemoveFromIndexes(entry);
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
            if (!entry.Reachable && entry.ConnectionId is not null)
            {
                entry.Reachable = true;
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
                var scale = Math.Max(1, entry.HeartbeatScale);
                if (entry.ConnectionId is not null && entry.Context is { } context && quiet > closeAfter * scale)
                {
                    silent.Add((entry.Id, context));
                }

                if (entry.ConnectionId is not null && entry.Reachable && quiet > unreachableAfter * scale)
                {
                    entry.Reachable = false;
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

    private void AddToIndexes(AgentEntry entry)
    {
        foreach (var capability in entry.Capabilities)
        {
            _byCapability.Add(capability, entry);
        }

        foreach (var group in entry.Groups)
        {
            _byGroup.Add(group, entry);
        }

        foreach (var command in entry.Commands)
        {
            _byCommand.Add(command, entry);
        }

        if (entry.Commands.Length == 0)
        {
            _anyCommand[entry.Id] = entry;
        }
    }

    private void RemoveFromIndexes(AgentEntry entry)
    {
        foreach (var capability in entry.Capabilities)
        {
            _byCapability.Remove(capability, entry);
        }

        foreach (var group in entry.Groups)
        {
            _byGroup.Remove(group, entry);
        }

        foreach (var command in entry.Commands)
        {
            _byCommand.Remove(command, entry);
        }

        _anyCommand.TryRemove(new KeyValuePair<string, AgentEntry>(entry.Id, entry));
    }

    /// <summary>Key → the connected agents carrying it.</summary>
    private sealed class Index
    {
        private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, AgentEntry>> _map = new(StringComparer.Ordinal);

        public IEnumerable<AgentEntry> Get(string key) => _map.TryGetValue(key, out var agents) ? agents.Values : [];

        public void Add(string key, AgentEntry entry) =>
            _map.GetOrAdd(key, _ => new ConcurrentDictionary<string, AgentEntry>(StringComparer.Ordinal))[entry.Id] = entry;

        public void Remove(string key, AgentEntry entry)
        {
            if (_map.TryGetValue(key, out var agents))
            {
                agents.TryRemove(new KeyValuePair<string, AgentEntry>(entry.Id, entry));
            }
        }
    }

    internal readonly record struct RegisterOutcome(AgentEntry Agent, ReplacedConnection? Replaced, bool KnownBefore);

    internal sealed record ReplacedConnection(string ConnectionId, HubCallerContext Context, AgentEntry Previous);

    private static partial class Log
    {
        [LoggerMessage(2010, LogLevel.Warning, "Agent {AgentId} missed its heartbeats ({Seconds:0.0} s since the last); marked Unreachable.")]
        public static partial void AgentUnreachable(ILogger logger, string agentId, double seconds);
    }
}
