using System.Collections.Concurrent;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// How many jobs the server has handed each agent (assigned or running) against the agent's limit.
/// Reserving is atomic, so two dispatcher workers never overfill an agent.
/// </summary>
internal sealed class AgentSlots
{
    private readonly ConcurrentDictionary<string, Counter> _counters = new(StringComparer.Ordinal);

    public void SetLimit(string agentId, int maxConcurrentJobs) =>
        _counters.GetOrAdd(agentId, _ => new Counter()).Limit = Math.Max(1, maxConcurrentJobs);

    public int InFlight(string agentId) => _counters.TryGetValue(agentId, out var counter) ? Volatile.Read(ref counter.InFlight) : 0;

    public int Limit(string agentId) => _counters.TryGetValue(agentId, out var counter) ? counter.Limit : 1;

    public bool TryReserve(string agentId)
    {
        var counter = _counters.GetOrAdd(agentId, _ => new Counter());
        while (true)
        {
            var current = Volatile.Read(ref counter.InFlight);
            if (current >= counter.Limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter.InFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(string agentId)
    {
        if (_counters.TryGetValue(agentId, out var counter))
        {
            var after = Interlocked.Decrement(ref counter.InFlight);
            if (after < 0)
            {
                Interlocked.Exchange(ref counter.InFlight, 0);
            }
        }
    }

    /// <summary>Counts a job the agent already holds (re-adopted after a restart) without checking the limit.</summary>
    public void Adopt(string agentId) => Interlocked.Increment(ref _counters.GetOrAdd(agentId, _ => new Counter()).InFlight);

    private sealed class Counter
    {
#pragma warning disable SA1401, CA1051 // Fields so they can be updated atomically.
        public int InFlight;
#pragma warning restore SA1401, CA1051

        public volatile int Limit = 1;
    }
}
