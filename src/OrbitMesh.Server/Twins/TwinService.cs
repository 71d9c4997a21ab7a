using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Hubs;
using OrbitMesh.Storage;
using OrbitMesh.Twins;

namespace OrbitMesh.Server.Twins;

/// <summary>
/// Agent twins, event-sourced (one stream per agent, a snapshot every
/// <see cref="OrbitMeshServerOptions.TwinSnapshotEvery"/> events). Desired changes use optimistic
/// concurrency on the desired version and reach a connected agent at once; an agent that reconnects
/// behind gets the document and what changed since the version it last acknowledged, so no desired
/// change is lost or reverted across disconnects.
/// </summary>
internal sealed partial class TwinService
{
    private readonly EventSourcedStore<AgentTwin> _store;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly IHubContext<AgentHub, IAgentClient> _hub;
    private readonly AgentRegistry _registry;
    private readonly ILogger<TwinService> _logger;

    public TwinService(IEventStore events, IOptions<OrbitMeshServerOptions> options, TimeProvider time, IHubContext<AgentHub, IAgentClient> hub, AgentRegistry registry, ILogger<TwinService> logger)
    {
        _store = new EventSourcedStore<AgentTwin>(events, new TwinModel(), options.Value.TwinSnapshotEvery, time);
        _hub = hub;
        _registry = registry;
        _logger = logger;
    }

    /// <summary>
    /// Raised with the agent's id after its twin changed (desired patched, reported patched, desired
    /// acknowledged), on the caller's path: handlers must be cheap and must not throw (the dashboard only
    /// marks the agent's page stale).
    /// </summary>
    public event Action<string>? Changed;

    /// <summary>The agent's twin (empty documents at version 0 when nothing was ever set).</summary>
    public async Task<AgentTwin> GetAsync(string agentId, CancellationToken cancellationToken)
    {
        var (twin, _) = await _store.LoadAsync(TwinModel.StreamId(agentId), cancellationToken).ConfigureAwait(false);
        return twin with { AgentId = agentId };
    }

    /// <summary>
    /// Applies a merge patch to the desired properties. With <paramref name="ifMatch"/>, refuses
    /// (<see cref="TwinVersionMismatchException"/>) unless the desired version is still that one.
    /// </summary>
    public async Task<AgentTwin> PatchDesiredAsync(string agentId, JsonElement patch, long? ifMatch, CancellationToken cancellationToken)
    {
        if (!JsonMergePatch.IsObject(patch))
        {
            throw new MeshValidationException(["The desired patch must be a JSON object (a JSON merge patch)."]);
        }

        AgentTwin twin;
        long fromVersion;
        var gate = _locks.GetOrAdd(agentId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = TwinModel.StreamId(agentId);
            var (current, version) = await _store.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            if (ifMatch is { } expected && expected != current.DesiredVersion)
            {
                throw new TwinVersionMismatchException(agentId, expected, current.DesiredVersion);
            }

            fromVersion = current.DesiredVersion;
            (twin, _) = await _store.AppendAsync(stream, version, current, [new DesiredPatched(current.DesiredVersion + 1, patch.Clone())], cancellationToken).ConfigureAwait(false);
            twin = twin with { AgentId = agentId };
        }
        finally
        {
            gate.Release();
        }

        Log.DesiredChanged(_logger, agentId, twin.DesiredVersion);
        Changed?.Invoke(agentId);
        if (_registry.TryGetConnectionId(agentId, out var connectionId))
        {
            await SendAsync(connectionId, twin, patch, fromVersion).ConfigureAwait(false);
        }

        return twin;
    }

    /// <summary>Stores a merge patch of the agent's reported properties; returns the new reported version.</summary>
    public async Task<long> ReportAsync(string agentId, JsonElement patch, CancellationToken cancellationToken)
    {
        if (!JsonMergePatch.IsObject(patch))
        {
            throw new HubException("The reported patch must be a JSON object (a JSON merge patch).");
        }

        var twin = await UpdateAsync(agentId, current => [new ReportedPatched(current.ReportedVersion + 1, patch.Clone())], cancellationToken).ConfigureAwait(false);
        return twin.ReportedVersion;
    }

    /// <summary>Records that the agent applied the desired properties up to a version.</summary>
    public Task AcknowledgeAsync(string agentId, long version, CancellationToken cancellationToken) =>
        UpdateAsync(agentId, current => version > current.AcknowledgedDesiredVersion && version <= current.DesiredVersion ? [new DesiredAcknowledged(version)] : [], cancellationToken);

    /// <summary>After a registration: sends the desired properties when the agent is behind (or ahead, after a restore).</summary>
    public async Task SyncAsync(string agentId, string connectionId, long agentVersion, CancellationToken cancellationToken)
    {
        var stream = TwinModel.StreamId(agentId);
        var (twin, _) = await _store.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
        if (twin.DesiredVersion == agentVersion)
        {
            return;
        }

        var delta = JsonMergePatch.EmptyObject;
        var from = agentVersion;
        if (agentVersion > twin.DesiredVersion)
        {
            // The agent knows a version this server does not (its storage was restored): start it over from the whole document.
            from = 0;
            delta = twin.Desired;
        }
        else
        {
            // Rebuild the document the agent has, then send the difference to the current one.
            var known = JsonMergePatch.EmptyObject;
            var events = await _store.LoadEventsAsync(stream, 1, cancellationToken).ConfigureAwait(false);
            var complete = events.OfType<DesiredPatched>().Select(e => e.Version).DefaultIfEmpty(0).Min() <= 1;
            foreach (var patched in events.OfType<DesiredPatched>().Where(e => e.Version <= agentVersion))
            {
                known = JsonMergePatch.Apply(known, patched.Patch);
            }

            if (complete)
            {
                delta = JsonMergePatch.Diff(known, twin.Desired);
            }
            else
            {
                // Early history was pruned: the agent cannot be given a difference, only the whole document.
                from = 0;
                delta = twin.Desired;
            }
        }

        Log.Resync(_logger, agentId, agentVersion, twin.DesiredVersion);
        await SendAsync(connectionId, twin with { AgentId = agentId }, delta, from).ConfigureAwait(false);
    }

    private async Task<AgentTwin> UpdateAsync(string agentId, Func<AgentTwin, IReadOnlyList<DomainEvent>> decide, CancellationToken cancellationToken)
    {
        AgentTwin current;
        var gate = _locks.GetOrAdd(agentId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var stream = TwinModel.StreamId(agentId);
            (current, var version) = await _store.LoadAsync(stream, cancellationToken).ConfigureAwait(false);
            var events = decide(current);
            if (events.Count == 0)
            {
                return current;
            }

            (current, _) = await _store.AppendAsync(stream, version, current, events, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        Changed?.Invoke(agentId);
        return current;
    }

    private async Task SendAsync(string connectionId, AgentTwin twin, JsonElement patch, long fromVersion)
    {
        try
        {
            await _hub.Clients.Client(connectionId).DesiredPropertiesChanged(new TwinDesired
            {
                Version = twin.DesiredVersion,
                Desired = twin.Desired,
                Patch = patch,
                FromVersion = fromVersion,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // The agent gets it when it registers again.
            Log.SendFailed(_logger, twin.AgentId, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2200, LogLevel.Information, "Desired properties of agent {AgentId} changed to version {Version}.")]
        public static partial void DesiredChanged(ILogger logger, string agentId, long version);

        [LoggerMessage(2201, LogLevel.Information, "Agent {AgentId} registered with desired version {AgentVersion}; sending version {Version}.")]
        public static partial void Resync(ILogger logger, string agentId, long agentVersion, long version);

        [LoggerMessage(2202, LogLevel.Debug, "Could not send desired properties to agent {AgentId} now: {Reason}")]
        public static partial void SendFailed(ILogger logger, string agentId, string reason);
    }
}

/// <summary>An <c>If-Match</c> desired version did not match the twin's current one.</summary>
public sealed class TwinVersionMismatchException : OrbitMeshException
{
    /// <summary>Creates the exception.</summary>
    public TwinVersionMismatchException()
        : this("The twin's desired version changed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public TwinVersionMismatchException(string message)
        : base("version_mismatch", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TwinVersionMismatchException(string message, Exception? innerException)
        : base("version_mismatch", message, innerException)
    {
    }

    /// <summary>Creates the exception for versions.</summary>
    public TwinVersionMismatchException(string agentId, long expected, long actual)
        : base("version_mismatch", $"The desired properties of agent '{agentId}' are at version {actual}, not {expected}; read them again and retry.")
    {
        CurrentVersion = actual;
    }

    /// <summary>The twin's current desired version.</summary>
    public long CurrentVersion { get; }
}
