using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Agents;
using OrbitMesh.Server.Security;

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

    private readonly AgentRegistry _registry;
    private readonly UnregisteredConnections _unregistered;
    private readonly OrbitMeshServerOptions _options;
    private readonly ConnectionCloser _closer;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentHub> _logger;

    public AgentHub(
        AgentRegistry registry,
        UnregisteredConnections unregistered,
        IOptions<OrbitMeshServerOptions> options,
        ConnectionCloser closer,
        TimeProvider time,
        ILogger<AgentHub> logger)
    {
        _registry = registry;
        _unregistered = unregistered;
        _options = options.Value;
        _closer = closer;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public override Task OnConnectedAsync()
    {
        _unregistered.Add(Context);
        Log.Connected(_logger, Context.ConnectionId, Context.GetHttpContext()?.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDisconnectedAsync(Exception? exception)
    {
        _unregistered.Remove(Context.ConnectionId);
        var agent = _registry.Unregister(Context.ConnectionId);
        if (agent is null)
        {
            Log.UnregisteredDisconnected(_logger, Context.ConnectionId, exception?.Message ?? "closed");
        }
        else if (exception is null)
        {
            Log.AgentDisconnected(_logger, agent.Id, Context.ConnectionId);
        }
        else
        {
            Log.AgentDisconnectedWithError(_logger, agent.Id, Context.ConnectionId, exception.Message);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<RegistrationResult> Register(AgentRegistration registration)
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

        var outcome = _registry.Register(Context.ConnectionId, Context, registration);
        Context.Items[AgentIdItem] = registration.Id;
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

        Log.AgentRegistered(_logger, registration.Id, Context.ConnectionId, outcome.Agent.Capabilities.Length, outcome.Agent.Groups.Length);
        return new RegistrationResult
        {
            AgentId = registration.Id,
            ConnectionId = Context.ConnectionId,
            HeartbeatIntervalMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
            MissedHeartbeatsAllowed = _options.MissedHeartbeatsAllowed,
            ReplacedExisting = outcome.Replaced is not null,
            ServerTime = _time.GetUtcNow(),
            ServerVersion = ServerInfo.Version,
        };
    }

    /// <inheritdoc />
    public Task<HeartbeatAck> Heartbeat(AgentHeartbeat heartbeat)
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
        }

        return Task.FromResult(new HeartbeatAck
        {
            HeartbeatIntervalMs = (int)_options.HeartbeatInterval.TotalMilliseconds,
            ServerTime = _time.GetUtcNow(),
        });
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
    }
}
