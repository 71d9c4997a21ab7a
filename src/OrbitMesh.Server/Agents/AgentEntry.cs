using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Protocol;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Agents;

/// <summary>The registry's mutable record of one agent. Mutated only under a lock on itself.</summary>
internal sealed class AgentEntry
{
    public AgentEntry(AgentRegistration registration, string connectionId, HubCallerContext context, DateTimeOffset now, bool paused = false)
    {
        Id = registration.Id;
        Name = string.IsNullOrWhiteSpace(registration.Name) ? registration.Id : registration.Name;
        // The lists are null when a registration's JSON leaves them out or sends null (the validator allows that).
        Capabilities = (registration.Capabilities ?? []).Distinct(StringComparer.Ordinal).ToArray();
        Groups = (registration.Groups ?? []).Distinct(StringComparer.Ordinal).ToArray();
        Commands = (registration.Commands ?? []).Distinct(StringComparer.Ordinal).ToArray();
        CommandSet = Commands.ToHashSet(StringComparer.Ordinal);
        MaxConcurrentJobs = registration.MaxConcurrentJobs;
        Metadata = registration.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(registration.Metadata);
        Version = registration.Version;
        Grants = context.Items.TryGetValue(Hubs.AgentHub.GrantsItem, out var grants) ? grants as Security.Nodes.CapabilityGrants : null;
        ConnectionId = connectionId;
        Context = context;
        ConnectedAt = now;
        LastHeartbeatAt = now;
        Lifecycle = AgentStateMachine.Transition(AgentStateMachine.Transition(AgentStatus.Created, AgentTrigger.Initialize), AgentTrigger.Start);
        if (paused)
        {
            Lifecycle = AgentStateMachine.Transition(Lifecycle, AgentTrigger.Pause);
        }
        Load = new AgentLoad(0, registration.MaxConcurrentJobs, 0, 0);
    }

    private AgentEntry(StoredAgent stored)
    {
        Id = stored.Id;
        Name = stored.Name ?? stored.Id;
        Capabilities = [.. stored.Capabilities];
        Groups = [.. stored.Groups];
        Commands = [.. stored.Commands];
        CommandSet = Commands.ToHashSet(StringComparer.Ordinal);
        Metadata = new Dictionary<string, string>(stored.Metadata);
        Version = stored.Version;
        MaxConcurrentJobs = stored.MaxConcurrentJobs;
        ConnectedAt = stored.LastSeenAt;
        DisconnectedAt = stored.LastSeenAt;
        Lifecycle = stored.Paused ? AgentStatus.Paused : stored.Lifecycle;
        Load = new AgentLoad(0, stored.MaxConcurrentJobs, 0, 0);
    }

    /// <summary>An agent remembered from storage, not connected.</summary>
    public static AgentEntry FromStored(StoredAgent stored) => new(stored);

    /// <summary>What storage remembers about this agent.</summary>
    public StoredAgent ToStored(DateTimeOffset firstSeen, DateTimeOffset now) => new()
    {
        Id = Id,
        Name = Name,
        Capabilities = Capabilities,
        Groups = Groups,
        Commands = Commands,
        Metadata = Metadata,
        Version = Version,
        Lifecycle = Lifecycle,
        Paused = Lifecycle == AgentStatus.Paused,
        MaxConcurrentJobs = MaxConcurrentJobs,
        FirstSeenAt = firstSeen,
        LastSeenAt = now,
    };

    /// <summary>The lock that guards the mutable properties.</summary>
    public object Gate { get; } = new();

    public string Id { get; }

    public string Name { get; }

    public string[] Capabilities { get; }

    public string[] Groups { get; }

    public string[] Commands { get; }

    /// <summary>The commands for fast lookup; empty means the agent did not say (it is offered any command and refuses what it cannot run).</summary>
    public HashSet<string> CommandSet { get; }

    public int MaxConcurrentJobs { get; }

    public AgentCircuitState Circuit { get; set; }

    /// <summary>True when the agent can run <paramref name="command"/> as far as the server knows.</summary>
    public bool Supports(string command) => HasHandler(command) && (Grants is null || Grants.AllowsCommand(command));

    /// <summary>True when the agent registered <paramref name="command"/>, its family (<c>wasm:*</c>), or no command list at all.</summary>
    public bool HasHandler(string command) => CommandSet.Count == 0 || CommandFamilies.Covers(CommandSet, command);

    /// <summary>An enrolled node's grants: it is offered only commands they allow. Null for a shared-token agent (unrestricted).</summary>
    public Security.Nodes.CapabilityGrants? Grants { get; }

    public Dictionary<string, string> Metadata { get; }

    public string? Version { get; }

    public string? ConnectionId { get; set; }

    public HubCallerContext? Context { get; set; }

    public DateTimeOffset ConnectedAt { get; }

    public DateTimeOffset? LastHeartbeatAt { get; set; }

    /// <summary>
    /// The heartbeat interval this agent was last given, as a multiple of the configured one (above 1
    /// when the fleet is large, see <see cref="HeartbeatSchedule"/>); its liveness thresholds scale with it.
    /// </summary>
    public double HeartbeatScale { get; set; } = 1;

    public DateTimeOffset? DisconnectedAt { get; set; }

    /// <summary>The lifecycle status (one of the eight of <see cref="AgentStateMachine"/>).</summary>
    public AgentStatus Lifecycle { get; private set; }

    /// <summary>False while the agent misses its heartbeats.</summary>
    public bool Reachable { get; set; } = true;

    /// <summary>What listings show: the connection state on top of the lifecycle.</summary>
    public AgentStatus Status => ConnectionId is null ? AgentStatus.Disconnected : !Reachable ? AgentStatus.Unreachable : Lifecycle;

    /// <summary>True when the agent may be given new work.</summary>
    public bool AcceptsWork => ConnectionId is not null && Reachable && AgentStateMachine.AcceptsWork(Lifecycle);

    /// <summary>Moves the lifecycle through the state machine; false (and no change) when the table does not allow it.</summary>
    public bool TryApply(AgentTrigger trigger)
    {
        if (!AgentStateMachine.TryTransition(Lifecycle, trigger, out var next))
        {
            return false;
        }

        Lifecycle = next;
        return true;
    }

    public AgentLoad Load { get; set; }

    public AgentInfo Snapshot(int jobsInFlight = 0)
    {
        lock (Gate)
        {
            return new AgentInfo
            {
                Id = Id,
                Name = Name,
                Status = Status,
                Capabilities = Capabilities,
                Groups = Groups,
                Commands = Commands,
                Metadata = Metadata,
                Version = Version,
                ConnectedAt = ConnectedAt,
                LastHeartbeatAt = LastHeartbeatAt,
                DisconnectedAt = DisconnectedAt,
                Load = Load,
                JobsInFlight = jobsInFlight,
                Circuit = Circuit,
            };
        }
    }
}
