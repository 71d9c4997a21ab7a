using System.Text.Json;
using OrbitMesh.Storage;

namespace OrbitMesh.Twins;

/// <summary>The desired properties changed by a merge patch, giving <paramref name="Version"/>.</summary>
public sealed record DesiredPatched(long Version, JsonElement Patch) : DomainEvent;

/// <summary>The agent reported a merge patch of its properties, giving <paramref name="Version"/>.</summary>
public sealed record ReportedPatched(long Version, JsonElement Patch) : DomainEvent;

/// <summary>The agent confirmed it applied the desired properties up to <paramref name="Version"/>.</summary>
public sealed record DesiredAcknowledged(long Version) : DomainEvent;

/// <summary>Rebuilds an <see cref="AgentTwin"/> from its events.</summary>
public sealed class TwinModel : IEventSourcedModel<AgentTwin>
{
    /// <summary>The stream id of an agent's twin.</summary>
    public static string StreamId(string agentId) => "twin:" + agentId;

    /// <inheritdoc />
    public AgentTwin Initial => new();

    /// <inheritdoc />
    public IReadOnlyCollection<Type> EventTypes { get; } = [typeof(DesiredPatched), typeof(ReportedPatched), typeof(DesiredAcknowledged)];

    /// <inheritdoc />
    public AgentTwin Apply(AgentTwin state, DomainEvent domainEvent)
    {
        ArgumentNullException.ThrowIfNull(state);
        var agentId = domainEvent.StreamId.StartsWith("twin:", StringComparison.Ordinal) ? domainEvent.StreamId[5..] : state.AgentId;
        return domainEvent switch
        {
            DesiredPatched d => state with { AgentId = agentId, Desired = JsonMergePatch.Apply(state.Desired, d.Patch), DesiredVersion = d.Version, UpdatedAt = d.Timestamp },
            ReportedPatched r => state with { AgentId = agentId, Reported = JsonMergePatch.Apply(state.Reported, r.Patch), ReportedVersion = r.Version, UpdatedAt = r.Timestamp },
            DesiredAcknowledged a => state with { AgentId = agentId, AcknowledgedDesiredVersion = Math.Max(state.AcknowledgedDesiredVersion, a.Version), UpdatedAt = a.Timestamp },
            _ => state,
        };
    }
}
