using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Protocol;

namespace OrbitMesh.Server.Agents;

/// <summary>The registry's mutable record of one agent. Mutated only under a lock on itself.</summary>
internal sealed class AgentEntry
{
    public AgentEntry(AgentRegistration registration, string connectionId, HubCallerContext context, DateTimeOffset now)
    {
        Id = registration.Id;
        Name = string.IsNullOrWhiteSpace(registration.Name) ? registration.Id : registration.Name;
        // The lists are null when a registration's JSON leaves them out or sends null (the validator allows that).
        Capabilities = (registration.Capabilities ?? []).Distinct(StringComparer.Ordinal).ToArray();
        Groups = (registration.Groups ?? []).Distinct(StringComparer.Ordinal).ToArray();
        Commands = (registration.Commands ?? []).Distinct(StringComparer.Ordinal).ToArray();
        Metadata = registration.Metadata is null ? new Dictionary<string, string>() : new Dictionary<string, string>(registration.Metadata);
        Version = registration.Version;
        ConnectionId = connectionId;
        Context = context;
        ConnectedAt = now;
        LastHeartbeatAt = now;
        Status = AgentStatus.Ready;
        Load = new AgentLoad(0, registration.MaxConcurrentJobs, 0, 0);
    }

    /// <summary>The lock that guards the mutable properties.</summary>
    public object Gate { get; } = new();

    public string Id { get; }

    public string Name { get; }

    public string[] Capabilities { get; }

    public string[] Groups { get; }

    public string[] Commands { get; }

    public Dictionary<string, string> Metadata { get; }

    public string? Version { get; }

    public string? ConnectionId { get; set; }

    public HubCallerContext? Context { get; set; }

    public DateTimeOffset ConnectedAt { get; }

    public DateTimeOffset? LastHeartbeatAt { get; set; }

    public DateTimeOffset? DisconnectedAt { get; set; }

    public AgentStatus Status { get; set; }

    public AgentLoad Load { get; set; }

    public AgentInfo Snapshot()
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
            };
        }
    }
}
