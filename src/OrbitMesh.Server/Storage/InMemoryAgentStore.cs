using System.Collections.Concurrent;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Storage;

/// <summary>Agent records in memory: nothing survives a restart. For tests only.</summary>
public sealed class InMemoryAgentStore : IAgentStore
{
    private readonly ConcurrentDictionary<string, StoredAgent> _agents = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask UpsertAsync(StoredAgent agent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agents[agent.Id] = agent;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<StoredAgent?> GetAsync(string agentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_agents.TryGetValue(agentId, out var agent) ? agent : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredAgent>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<StoredAgent>>(_agents.Values.OrderBy(a => a.Id, StringComparer.Ordinal).ToList());

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string agentId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_agents.TryRemove(agentId, out _));
}
