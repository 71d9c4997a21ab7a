using Microsoft.Extensions.Logging;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Agents;

/// <summary>
/// Moves agents through their lifecycle (pause, resume, stopping, faulted, recovered) and keeps the
/// agent store in step, so a paused agent stays paused across reconnects and server restarts.
/// </summary>
internal sealed partial class AgentLifecycleService(AgentRegistry registry, IAgentStore store, Jobs.JobManager jobs, TimeProvider time, ILogger<AgentLifecycleService> logger)
{
    /// <summary>Loads remembered agents into the registry (listed Disconnected until they connect).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken) =>
        registry.Remember(await store.ListAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Applies a trigger and persists the result. Null when the agent is unknown.</summary>
    public async Task<AgentInfo?> ApplyAsync(string agentId, AgentTrigger trigger, string reason, CancellationToken cancellationToken)
    {
        var entry = registry.Apply(agentId, trigger);
        if (entry is null)
        {
            return null;
        }

        Log.Transitioned(logger, agentId, trigger.ToString(), entry.Lifecycle.ToString(), reason);
        await PersistAsync(entry, cancellationToken).ConfigureAwait(false);
        if (trigger is AgentTrigger.Resume or AgentTrigger.Start)
        {
            jobs.OnAgentRegistered();
        }

        return registry.Snapshot(entry);
    }

    /// <summary>Stores what is known about an agent; storage trouble is logged, not thrown (the agent keeps working).</summary>
    public async Task PersistAsync(AgentEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            var stored = await store.GetAsync(entry.Id, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            StoredAgent record;
            lock (entry.Gate)
            {
                record = entry.ToStored(stored?.FirstSeenAt ?? now, now);
            }

            await store.UpsertAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (StorageUnavailableException ex)
        {
            Log.PersistFailed(logger, entry.Id, ex.Message);
        }
    }

    /// <summary>Whether storage remembers the agent as paused.</summary>
    public async Task<bool> IsPausedAsync(string agentId, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.GetAsync(agentId, cancellationToken).ConfigureAwait(false))?.Paused == true;
        }
        catch (StorageUnavailableException)
        {
            return registry.Find(agentId)?.Lifecycle == AgentStatus.Paused;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2080, LogLevel.Information, "Agent {AgentId}: {Trigger} → {Status} ({Reason}).")]
        public static partial void Transitioned(ILogger logger, string agentId, string trigger, string status, string reason);

        [LoggerMessage(2081, LogLevel.Warning, "Could not store agent {AgentId}: {Reason}")]
        public static partial void PersistFailed(ILogger logger, string agentId, string reason);
    }
}
