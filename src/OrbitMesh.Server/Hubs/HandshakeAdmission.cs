using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Hubs;

/// <summary>
/// Reconnect admission control. A connection to the agent hub is "in handshake" from its transport
/// request (a WebSocket upgrade or a server-sent-events stream) until it registers, fails to, or
/// closes. At most <see cref="OrbitMeshServerOptions.MaxConcurrentHandshakes"/> are in handshake at
/// once; further connects are answered <c>503</c> with <c>Retry-After</c>, which agents honour on top
/// of their decorrelated jitter. This keeps a restarted server usable while its whole fleet returns.
/// Within that budget one remote address holds at most
/// <see cref="OrbitMeshServerOptions.MaxConcurrentHandshakesPerAddress"/> slots and one node at most
/// <see cref="OrbitMeshServerOptions.MaxConcurrentHandshakesPerNode"/>, so a single node key or host
/// opening connections it never registers cannot starve every other agent. The node is read from the
/// credential before it is checked (admission runs before authentication, to stay cheap); a forged
/// one fails authentication at once and so holds its slot only for that request.
/// </summary>
internal sealed partial class HandshakeAdmission(IOptions<OrbitMeshServerOptions> options, ILogger<HandshakeAdmission> logger)
{
    /// <summary>The key of a connection's <see cref="Ticket"/> in <see cref="HttpContext.Items"/>.</summary>
    public const string TicketItem = "orbitmesh.handshake";

    private readonly int _budget = options.Value.MaxConcurrentHandshakes;
    private readonly int _perAddress = options.Value.MaxConcurrentHandshakesPerAddress;
    private readonly int _perNode = options.Value.MaxConcurrentHandshakesPerNode;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly string _retryAfter = Math.Max(1, (int)Math.Ceiling(options.Value.HandshakeRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
    private int _active;
    private int _peak;
    private long _rejected;
    private long _admitted;

    /// <summary>Connections admitted that have not registered (or closed) yet.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>The most connections ever in handshake at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Connects admitted so far.</summary>
    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Connects turned away so far.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Wraps the hub's endpoints: admits or refuses transport requests, and frees the slot when the request ends.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!OpensTransport(context))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _active) > _budget)
        {
            Interlocked.Decrement(ref _active);
            var rejected = Interlocked.Increment(ref _rejected);
            if (rejected == 1 || rejected % 1000 == 0)
            {
                Log.HandshakesOverBudget(logger, _budget, rejected);
            }

            Refuse(context, $"Too many agents are connecting at once (more than {_budget}); retry after {_retryAfter} s.");
            return;
        }

        var addressKey = "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        var nodeKey = Security.AgentTokenAuthenticationHandler.ReadToken(context.Request) is { } credential
            && OrbitMesh.Security.NodeProof.TryParseCredential(credential, out var nodeId, out _, out _) ? "node:" + nodeId : null;
        if (!TryHold(addressKey, _perAddress))
        {
            Interlocked.Decrement(ref _active);
            if (Interlocked.Increment(ref _rejected) is var count && (count == 1 || count % 1000 == 0))
            {
                Log.AddressOverBudget(logger, addressKey["address:".Length..], _perAddress);
            }
            Refuse(context, $"Too many connections from this address are in handshake at once (more than {_perAddress}); retry after {_retryAfter} s.");
            return;
        }

        if (nodeKey is not null && !TryHold(nodeKey, _perNode))
        {
            Drop(addressKey);
            Interlocked.Decrement(ref _active);
            if (Interlocked.Increment(ref _rejected) is var count && (count == 1 || count % 1000 == 0))
            {
                Log.NodeOverBudget(logger, nodeKey["node:".Length..], _perNode);
            }
            Refuse(context, $"This node already has {_perNode} connections in handshake; retry after {_retryAfter} s.");
            return;
        }

        UpdatePeak();
        Interlocked.Increment(ref _admitted);
        var ticket = new Ticket(this, addressKey, nodeKey);
        context.Items[TicketItem] = ticket;
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            ticket.Release();
        }
    }

    /// <summary>Frees the handshake slot of the connection behind <paramref name="context"/>, if it holds one.</summary>
    public static void Release(HttpContext? context)
    {
        if (context?.Items.TryGetValue(TicketItem, out var value) == true && value is Ticket ticket)
        {
            ticket.Release();
        }
    }

    /// <summary>
    /// A WebSocket upgrade (HTTP/1.1 <c>Upgrade: websocket</c>, or an HTTP/2 extended CONNECT) or a
    /// server-sent-events stream. Read from the request itself: the WebSocket feature is only added
    /// inside SignalR's own endpoint pipeline, after this check runs.
    /// </summary>
    private static bool OpensTransport(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsConnect(request.Method))
        {
            return true;
        }

        return HttpMethods.IsGet(request.Method)
            && (request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
                || request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
    }

    private void Refuse(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = _retryAfter;
        context.Response.Headers["X-OrbitMesh-Error"] = reason;
    }

    /// <summary>Takes one of <paramref name="key"/>'s slots unless it holds <paramref name="limit"/> already.</summary>
    private bool TryHold(string key, int limit)
    {
        while (true)
        {
            if (!_held.TryGetValue(key, out var held))
            {
                if (_held.TryAdd(key, 1))
                {
                    return true;
                }

                continue;
            }

            if (held >= limit)
            {
                return false;
            }

            if (_held.TryUpdate(key, held + 1, held))
            {
                return true;
            }
        }
    }

    /// <summary>Gives one of <paramref name="key"/>'s slots back; the entry goes when its last slot does, so the map holds only keys in handshake.</summary>
    private void Drop(string key)
    {
        while (_held.TryGetValue(key, out var held))
        {
            if (held <= 1 ? _held.TryRemove(new KeyValuePair<string, int>(key, held)) : _held.TryUpdate(key, held - 1, held))
            {
                return;
            }
        }
    }

    private void UpdatePeak()
    {
        var active = Volatile.Read(ref _active);
        int peak;
        while (active > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, active, peak) != peak)
        {
        }
    }

    /// <summary>One connection's slot; released once.</summary>
    internal sealed class Ticket(HandshakeAdmission owner, string addressKey, string? nodeKey)
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.Drop(addressKey);
                if (nodeKey is not null)
                {
                    owner.Drop(nodeKey);
                }

                Interlocked.Decrement(ref owner._active);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2052, LogLevel.Warning, "More than {Budget} agent connections are in handshake at once; turning connects away with 503 and Retry-After ({Rejected} so far).")]
        public static partial void HandshakesOverBudget(ILogger logger, int budget, long rejected);

        [LoggerMessage(2053, LogLevel.Warning, "Turned a connect from {RemoteAddress} away: that address already has {Limit} connections in handshake.")]
        public static partial void AddressOverBudget(ILogger logger, string remoteAddress, int limit);

        [LoggerMessage(2054, LogLevel.Warning, "Turned a connect of node {NodeId} away: that node already has {Limit} connections in handshake.")]
        public static partial void NodeOverBudget(ILogger logger, string nodeId, int limit);
    }
}
