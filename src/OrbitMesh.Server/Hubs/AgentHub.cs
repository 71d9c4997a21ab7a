using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Diagnostics;
using OrbitMesh.Server.Security;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Hubs;

/// <summary>
/// The hub agents connect to. An agent authenticates at connect (see docs/protocol.md), then calls
/// <see cref="Register"/> before anything else; the registry records it and it joins the SignalR
/// groups for all agents, for each of its capabilities and for each of its groups.
/// </summary>
[Authorize(Policy = AgentAuthenticationDefaults.PolicyName)]
internal sealed partial class AgentHub : Hub<IAgentClient>, IServerHub
{
    /// <summary>The key under which the registered agent's id is kept in <see cref="HubCallerContext.Items"/>.</summary>
    public const string AgentIdItem = "orbitmesh.agentId";

    /// <summary>The key of the registered agent's metadata (<c>IReadOnlyDictionary&lt;string, string&gt;</c>) in <see cref="HubCallerContext.Items"/>.</summary>
    public const string MetadataItem = "orbitmesh.metadata";

    /// <summary>The key of an enrolled node's <see cref="Security.Nodes.CapabilityGrants"/> in <see cref="HubCallerContext.Items"/>; absent for shared-token agents.</summary>
    public const string GrantsItem = "orbitmesh.grants";

    private readonly AgentRegistry _registry;
    private readonly Jobs.JobManager _jobs;
    private readonly AgentLifecycleService _lifecycle;
    private readonly Twins.TwinService _twins;
    private readonly UnregisteredConnections _unregistered;
    private readonly OrbitMeshServerOptions _options;
    private readonly ConnectionCloser _closer;
    private readonly TimeProvider _time;
    private readonly HeartbeatSchedule _heartbeats;
    private readonly OrbitMeshMetrics _metrics;
    private readonly ILogger<AgentHub> _logger;
    private readonly Security.Nodes.NodeConnections _nodeConnections;
    private readonly Security.Nodes.NodeService _nodes;
    private readonly SecurityAudit _audit;
    private readonly IReadOnlyDictionary<string, string> _commandCapabilities;

    public AgentHub(
        AgentRegistry registry,
        Jobs.JobManager jobs,
        AgentLifecycleService lifecycle,
        Twins.TwinService twins,
        UnregisteredConnections unregistered,
        IOptions<OrbitMeshServerOptions> options,
        ConnectionCloser closer,
        TimeProvider time,
        HeartbeatSchedule heartbeats,
        OrbitMeshMetrics metrics,
        Security.Nodes.NodeConnections nodeConnections,
        Security.Nodes.NodeService nodes,
        SecurityAudit audit,
        ILogger<AgentHub> logger)
    {
        _nodeConnections = nodeConnections;
        _nodes = nodes;
        _audit = audit;
        _commandCapabilities = options.Value.Security.CommandCapabilities.AsReadOnly();
        _heartbeats = heartbeats;
        _metrics = metrics;
        _registry = registry;
        _jobs = jobs;
        _lifecycle = lifecycle;
        _twins = twins;
        _unregistered = unregistered;
        _options = options.Value;
        _closer = closer;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public override Task OnConnectedAsync()
    {
        if (Context.User?.FindFirst(AgentTokenAuthenticationHandler.NodeClaim)?.Value is { } nodeId)
        {
            var grants = Context.User.FindAll(AgentTokenAuthenticationHandler.GrantClaim).Select(c => c.Value).ToArray();
            Context.Items[GrantsItem] = new Security.Nodes.CapabilityGrants(grants, _commandCapabilities);
            var expires = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Context.User.FindFirst(AgentTokenAuthenticationHandler.ExpiresClaim)!.Value, System.Globalization.CultureInfo.InvariantCulture));
            _nodeConnections.Add(nodeId, Context, expires);
            if (_nodes.RevokedSinceStart(nodeId))
            {
                // Revoked between this connection's authentication and now.
                _nodeConnections.CloseAll(nodeId);
            }
        }

        _unregistered.Add(Context);
        Log.Connected(_logger, Context.ConnectionId, Context.GetHttpContext()?.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        HandshakeAdmission.Release(Context.GetHttpContext());
        _unregistered.Remove(Context.ConnectionId);
        if (Context.User?.FindFirst(AgentTokenAuthenticationHandler.NodeClaim)?.Value is { } nodeId)
        {
            _nodeConnections.Remove(nodeId, Context.ConnectionId);
        }

        var agent = _registry.Unregister(Context.ConnectionId);
        if (agent is null)
        {
            Log.UnregisteredDisconnected(_logger, Context.ConnectionId, exception?.Message ?? "closed");
            return;
        }

        if (exception is null)
        {
            Log.AgentDisconnected(_logger, agent.Id, Context.ConnectionId);
        }
        else
        {
            Log.AgentDisconnectedWithError(_logger, agent.Id, Context.ConnectionId, exception.Message);
        }

        await _jobs.OnAgentDisconnectedAsync(agent.Id, Context.ConnectionId).ConfigureAwait(false);
        await _lifecycle.PersistAsync(agent, CancellationToken.None).ConfigureAwait(false);
        RaiseHook(() => _options.RaiseAgentDisconnected(_registry.Snapshot(agent)));
    }

    /// <inheritdoc />
    public async Task<RegistrationResult> Register(AgentRegistration registration)
    {
        try
        {
            return await RegisterCoreAsync(registration).ConfigureAwait(false);
        }
        finally
        {
            // Registered or refused, this connection's handshake is over: free its admission slot.
            HandshakeAdmission.Release(Context.GetHttpContext());
        }
    }

    private async Task<RegistrationResult> RegisterCoreAsync(AgentRegistration registration)
    {
        if (Context.Items.TryGetValue(AgentIdItem, out var already))
        {
            throw new HubException($"This connection is already registered as agent '{already}'. Reconnect to register again.");
        }

        var errors = RegistrationValidator.Validate(registration);
        if (errors.Count > 0)
        {
            var reason = string.Join(" ", errors);
            Log.RegistrationRejected(_logger, Context.ConnectionId, reason);
            throw new HubException("Invalid registration: " + reason);
        }

        if (Context.User?.FindFirst(AgentTokenAuthenticationHandler.NodeClaim)?.Value is { } nodeId)
        {
            // An enrolled node registers as itself, with no capability it was not granted.
            string? refusal = null;
            if (!string.Equals(registration.Id, nodeId, StringComparison.Ordinal))
            {
                refusal = $"this connection authenticated as node '{nodeId}' and cannot register as '{registration.Id}'";
            }
            else if (Context.Items[GrantsItem] is Security.Nodes.CapabilityGrants grants
                && (registration.Capabilities ?? []).Where(c => !grants.AllowsCapability(c)).ToList() is { Count: > 0 } extra)
            {
                refusal = $"node '{nodeId}' was not granted the capabilities {string.Join(", ", extra)} (granted: {(grants.Granted.Count == 0 ? "none" : string.Join(", ", grants.Granted))})";
            }

            if (refusal is not null)
            {
                Log.RegistrationRejected(_logger, Context.ConnectionId, refusal);
                await _audit.RecordAsync(AuditEventTypes.AccessDenied, nodeId, Context.GetHttpContext(), success: false, reason: refusal, actor: "node:" + nodeId).ConfigureAwait(false);
                throw new HubException("not_allowed: " + refusal + ".");
            }
        }

        // Jobs the agent reports as held are matched against recovered jobs: wait until recovery loaded them.
        await _jobs.Recovered.WaitAsync(Context.ConnectionAborted).ConfigureAwait(false);
        var paused = await _lifecycle.IsPausedAsync(registration.Id, Context.ConnectionAborted).ConfigureAwait(false);
        var outcome = _registry.Register(Context.ConnectionId, Context, registration, paused);
        Context.Items[AgentIdItem] = registration.Id;
        Context.Items[MetadataItem] = outcome.Agent.Metadata.AsReadOnly();
        _unregistered.Remove(Context.ConnectionId);

        await Groups.AddToGroupAsync(Context.ConnectionId, AgentGroups.All).ConfigureAwait(false);
        foreach (var capability in outcome.Agent.Capabilities)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, AgentGroups.Capability(capability)).ConfigureAwait(false);
        }

        foreach (var group in outcome.Agent.Groups)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, AgentGroups.Group(group)).ConfigureAwait(false);
        }

        if (outcome.Replaced is { } replaced)
        {
            Log.AgentReplaced(_logger, registration.Id, replaced.ConnectionId, Context.ConnectionId);

            // The old connection stays open for its grace period; it must not receive the agent's group traffic meanwhile.
            await Groups.RemoveFromGroupAsync(replaced.ConnectionId, AgentGroups.All).ConfigureAwait(false);
            foreach (var capability in replaced.Previous.Capabilities)
            {
                await Groups.RemoveFromGroupAsync(replaced.ConnectionId, AgentGroups.Capability(capability)).ConfigureAwait(false);
            }

            foreach (var group in replaced.Previous.Groups)
            {
                await Groups.RemoveFromGroupAsync(replaced.ConnectionId, AgentGroups.Group(group)).ConfigureAwait(false);
            }

            _closer.Close(replaced.Context, new DisconnectNotice(
                DisconnectCodes.Replaced,
                $"Another connection registered as agent '{registration.Id}'; this one is closed and must not reconnect.",
                Reconnect: false), _options.ReplacedConnectionGracePeriod);
        }

        if (outcome.KnownBefore)
        {
            _metrics.Reconnected();
        }

        Log.AgentRegistered(_logger, registration.Id, Context.ConnectionId, outcome.Agent.Capabilities.Length, outcome.Agent.Groups.Length);
        await _lifecycle.PersistAsync(outcome.Agent, Context.ConnectionAborted).ConfigureAwait(false);
        await _jobs.OnHeldJobsAsync(registration.Id, Context.ConnectionId, registration.Jobs).ConfigureAwait(false);
        await _jobs.ReleaseUnheldAsync(registration.Id, Context.ConnectionId, registration.Jobs).ConfigureAwait(false);
        _jobs.OnAgentRegistered();
        try
        {
            await _twins.SyncAsync(registration.Id, Context.ConnectionId, registration.DesiredVersion, Context.ConnectionAborted).ConfigureAwait(false);
        }
        catch (StorageUnavailableException ex)
        {
            Log.TwinSyncFailed(_logger, registration.Id, ex.Message);
        }

        RaiseHook(() => _options.RaiseAgentConnected(_registry.Snapshot(outcome.Agent)));
        return new RegistrationResult
        {
            AgentId = registration.Id,
            ConnectionId = Context.ConnectionId,
            HeartbeatIntervalMs = _heartbeats.Assign(outcome.Agent),
            MissedHeartbeatsAllowed = _options.MissedHeartbeatsAllowed,
            ReplacedExisting = outcome.Replaced is not null,
            ServerTime = _time.GetUtcNow(),
            ServerVersion = ServerInfo.Version,
        };
    }

    /// <inheritdoc />
    public async Task<HeartbeatAck> Heartbeat(AgentHeartbeat heartbeat)
    {
        if (heartbeat is null)
        {
            throw new HubException("A heartbeat needs its load report.");
        }

        var agent = _registry.FindByConnection(Context.ConnectionId)
            ?? throw new HubException("This connection is not registered (or was replaced); reconnect and register.");
        if (_registry.Heartbeat(agent, heartbeat.ToLoad()))
        {
            Log.AgentRecovered(_logger, agent.Id);
            _jobs.OnAgentRegistered();
        }

        await _jobs.OnHeldJobsAsync(agent.Id, Context.ConnectionId, heartbeat.Jobs).ConfigureAwait(false);
        return new HeartbeatAck
        {
            HeartbeatIntervalMs = _heartbeats.Assign(agent),
            ServerTime = _time.GetUtcNow(),
        };
    }

    /// <inheritdoc />
    public Task<JobReportResult> AcknowledgeJob(JobAck ack) =>
        ack is null ? Task.FromResult(MissingReport()) : Guard(_jobs.AcknowledgeAsync(AgentId, ack));

    /// <inheritdoc />
    public Task<JobReportResult> RejectJob(JobNack nack) =>
        nack is null ? Task.FromResult(MissingReport()) : Guard(_jobs.RejectAsync(AgentId, nack));

    /// <inheritdoc />
    public Task<JobReportResult> ReportProgress(JobProgress progress) =>
        progress is null ? Task.FromResult(MissingReport()) : Guard(_jobs.ProgressAsync(AgentId, progress));

    /// <inheritdoc />
    public Task<JobReportResult> SendJobItems(JobItems items) =>
        items?.Items is null ? Task.FromResult(MissingReport()) : Guard(_jobs.ItemsAsync(AgentId, items));

    /// <inheritdoc />
    public Task<JobReportResult> CompleteJob(JobCompletion completion) =>
        completion is null ? Task.FromResult(MissingReport()) : Guard(_jobs.CompleteAsync(AgentId, completion));

    /// <summary>Storage trouble refuses the report without stopping the job: the agent keeps it and tries again.</summary>
    private static async Task<JobReportResult> Guard(Task<JobReportResult> report)
    {
        try
        {
            return await report.ConfigureAwait(false);
        }
        catch (StorageUnavailableException ex)
        {
            return JobReportResult.Refused(JobReportCodes.StorageUnavailable, ex.Message, stop: false);
        }
    }

    /// <inheritdoc />
    public Task AcknowledgeDesired(TwinAck ack) =>
        ack is null ? Task.CompletedTask : _twins.AcknowledgeAsync(AgentId, ack.Version, Context.ConnectionAborted);

    /// <inheritdoc />
    public async Task<TwinReportResult> ReportProperties(TwinReport report)
    {
        if (report is null)
        {
            throw new HubException("The report is missing.");
        }

        return new TwinReportResult(await _twins.ReportAsync(AgentId, report.Patch, Context.ConnectionAborted).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task ReportStatus(AgentStatusReport report)
    {
        var trigger = report?.Status switch
        {
            AgentStatus.Stopping => AgentTrigger.Stop,
            AgentStatus.Faulted => AgentTrigger.Fault,
            AgentStatus.Ready => AgentTrigger.Recover,
            _ => throw new HubException("An agent may report only Stopping, Faulted or Ready (recovered)."),
        };

        try
        {
            await _lifecycle.ApplyAsync(AgentId, trigger, report.Reason ?? "reported by the agent", Context.ConnectionAborted).ConfigureAwait(false);
            if (trigger == AgentTrigger.Recover)
            {
                await _lifecycle.ApplyAsync(AgentId, AgentTrigger.Start, "recovered", Context.ConnectionAborted).ConfigureAwait(false);
            }
        }
        catch (InvalidAgentTransitionException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    private string AgentId => (string)Context.Items[AgentIdItem]!;

    private static JobReportResult MissingReport() =>
        JobReportResult.Refused(JobReportCodes.InvalidState, "The report is missing.", stop: false);

    private void RaiseHook(Action hook)
    {
        try
        {
            hook();
        }
        catch (Exception ex)
        {
            Log.HookFailed(_logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Debug, "Connection {ConnectionId} opened from {RemoteAddress}; waiting for registration.")]
        public static partial void Connected(ILogger logger, string connectionId, string remoteAddress);

        [LoggerMessage(2002, LogLevel.Information, "Agent {AgentId} registered on connection {ConnectionId} ({Capabilities} capabilities, {Groups} groups).")]
        public static partial void AgentRegistered(ILogger logger, string agentId, string connectionId, int capabilities, int groups);

        [LoggerMessage(2003, LogLevel.Warning, "Registration on connection {ConnectionId} rejected: {Reason}")]
        public static partial void RegistrationRejected(ILogger logger, string connectionId, string reason);

        [LoggerMessage(2004, LogLevel.Warning, "Agent {AgentId} registered again on connection {NewConnectionId}; closing its previous connection {OldConnectionId}.")]
        public static partial void AgentReplaced(ILogger logger, string agentId, string oldConnectionId, string newConnectionId);

        [LoggerMessage(2005, LogLevel.Information, "Agent {AgentId} disconnected (connection {ConnectionId}).")]
        public static partial void AgentDisconnected(ILogger logger, string agentId, string connectionId);

        [LoggerMessage(2006, LogLevel.Warning, "Agent {AgentId} disconnected with an error (connection {ConnectionId}): {Reason}")]
        public static partial void AgentDisconnectedWithError(ILogger logger, string agentId, string connectionId, string reason);

        [LoggerMessage(2007, LogLevel.Information, "Unregistered connection {ConnectionId} closed: {Reason}")]
        public static partial void UnregisteredDisconnected(ILogger logger, string connectionId, string reason);

        [LoggerMessage(2008, LogLevel.Information, "Agent {AgentId} is heartbeating again; marked Ready.")]
        public static partial void AgentRecovered(ILogger logger, string agentId);

        [LoggerMessage(2009, LogLevel.Error, "An agent event hook threw.")]
        public static partial void HookFailed(ILogger logger, Exception exception);

        [LoggerMessage(2011, LogLevel.Warning, "Could not bring agent {AgentId}'s twin up to date: {Reason}")]
        public static partial void TwinSyncFailed(ILogger logger, string agentId, string reason);
    }
}
