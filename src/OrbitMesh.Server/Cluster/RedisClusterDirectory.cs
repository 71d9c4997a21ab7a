using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrbitMesh.Server.Agents;
using StackExchange.Redis;

namespace OrbitMesh.Server.Cluster;

/// <summary>
/// The cluster's agent directory in Redis, kept by every server: a hash <c>PREFIX:agents</c> (agent id → the agent, its
/// server and its connection) and a sorted set <c>PREFIX:servers</c> (server id → when it last published). Every
/// presence interval a server writes the entries of its agents that changed, deletes those of agents that left it
/// (only while the entry is still its own: the agent may have moved to another server), marks itself alive, and reads
/// the others' entries, leaving out those of servers that stopped publishing.
/// </summary>
internal sealed partial class RedisClusterDirectory(
    IConnectionMultiplexer redis,
    AgentRegistry registry,
    RedisBackplaneOptions options,
    TimeProvider time,
    ILogger<RedisClusterDirectory> logger) : BackgroundService, IClusterDirectory
{
    private readonly string _redisEndpoints = Microsoft.Extensions.DependencyInjection.RedisBackplaneExtensions.Describe(options.Configuration);
    private readonly RedisKey _agentsKey = options.ChannelPrefix + ":agents";
    private readonly RedisKey _serversKey = options.ChannelPrefix + ":servers";
    private readonly Dictionary<string, string> _published = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, RemoteAgent> _remote = new Dictionary<string, RemoteAgent>(StringComparer.Ordinal);
    private volatile bool _reachable = true;

    public string? ServerId => options.ServerId;

    public IReadOnlyCollection<RemoteAgent> Remote => (IReadOnlyCollection<RemoteAgent>)_remote.Values;

    /// <summary>False while Redis cannot be reached (the cluster view is then stale).</summary>
    public bool Reachable => _reachable;

    public async ValueTask<RemoteAgent?> FindAsync(string agentId, CancellationToken cancellationToken)
    {
        if (_remote.TryGetValue(agentId, out var known))
        {
            return known;
        }

        var value = await redis.GetDatabase().HashGetAsync(_agentsKey, agentId).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (value.IsNullOrEmpty || Parse(value!) is not { } entry || entry.ServerId == options.ServerId)
        {
            return null;
        }

        var alive = await redis.GetDatabase().SortedSetScoreAsync(_serversKey, entry.ServerId).WaitAsync(cancellationToken).ConfigureAwait(false);
        return alive is { } at && at >= AliveSince() ? entry.ToRemote() : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PresenceInterval, time);
        do
        {
            try
            {
                await PublishAndReadAsync().ConfigureAwait(false);
                if (!_reachable)
                {
                    Log.Reachable(logger, _redisEndpoints);
                    _reachable = true;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                if (_reachable)
                {
                    Log.Unreachable(logger, _redisEndpoints, ex.Message);
                    _reachable = false;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A clean stop leaves the cluster at once instead of after the server timeout.
            var db = redis.GetDatabase();
            await db.SortedSetRemoveAsync(_serversKey, options.ServerId).ConfigureAwait(false);
            foreach (var (agentId, json) in _published)
            {
                await RemoveIfOursAsync(db, agentId, json).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The entries lapse with the server's timeout.
        }
    }

    private async Task PublishAndReadAsync()
    {
        var db = redis.GetDatabase();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var writes = new List<Task> { db.SortedSetAddAsync(_serversKey, options.ServerId, now) };
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in registry.Connected)
        {
            var agent = registry.Snapshot(entry) with { Server = options.ServerId };
            var json = JsonSerializer.Serialize(new Entry(options.ServerId, entry.ConnectionId!, agent, entry.Grants?.Granted), OrbitMeshJson.Options);
            current.Add(agent.Id);
            if (!_published.TryGetValue(agent.Id, out var last) || last != json)
            {
                writes.Add(db.HashSetAsync(_agentsKey, agent.Id, json));
                _published[agent.Id] = json;
            }
        }

        foreach (var gone in _published.Keys.Where(id => !current.Contains(id)).ToList())
        {
            writes.Add(RemoveIfOursAsync(db, gone, _published[gone]));
            _published.Remove(gone);
        }

        await Task.WhenAll(writes).ConfigureAwait(false);

        var alive = (await db.SortedSetRangeByScoreAsync(_serversKey, AliveSince()).ConfigureAwait(false)).Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal);
        var remote = new Dictionary<string, RemoteAgent>(StringComparer.Ordinal);
        foreach (var field in await db.HashGetAllAsync(_agentsKey).ConfigureAwait(false))
        {
            if (Parse(field.Value!) is { } entry && entry.ServerId != options.ServerId && alive.Contains(entry.ServerId))
            {
                remote[entry.Agent.Id] = entry.ToRemote();
            }
        }

        _remote = remote;
    }

    /// <summary>Deletes an agent's entry only if it is still the one this server wrote (the agent may have moved to another server since).</summary>
    private Task<bool> RemoveIfOursAsync(IDatabase db, string agentId, string json)
    {
        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(_agentsKey, agentId, json));
        _ = transaction.HashDeleteAsync(_agentsKey, agentId);
        return transaction.ExecuteAsync();
    }

    private double AliveSince() => (time.GetUtcNow() - options.ServerTimeout).ToUnixTimeMilliseconds();

    private static Entry? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Entry>(json, OrbitMeshJson.Options);
        }
        catch (JsonException)
        {
            return null; // Written by another version: ignored rather than fatal.
        }
    }

    private sealed record Entry(string ServerId, string ConnectionId, AgentInfo Agent, IReadOnlyList<string>? Granted)
    {
        public RemoteAgent ToRemote() => new(Agent with { Server = ServerId }, ConnectionId, Granted);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2301, Level = LogLevel.Error, Message = "Redis at {Configuration} cannot be reached: {Reason}; the cluster's agent directory is stale until it is back")]
        public static partial void Unreachable(ILogger logger, string configuration, string reason);

        [LoggerMessage(EventId = 2302, Level = LogLevel.Information, Message = "Redis at {Configuration} is reachable again")]
        public static partial void Reachable(ILogger logger, string configuration);
    }
}
