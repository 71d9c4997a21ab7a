using OrbitMesh.Storage;

namespace OrbitMesh.Server.Storage;

/// <summary>
/// Keeps jobs in memory: nothing survives a restart. For tests only; servers use the SQLite provider
/// (<c>UseSqlite</c>) or PostgreSQL.
/// </summary>
public sealed class InMemoryJobStore(TimeProvider time) : IJobStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<JobEvent>> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idempotency = new(StringComparer.Ordinal);

    /// <summary>Creates a store on the system clock.</summary>
    public InMemoryJobStore()
        : this(TimeProvider.System)
    {
    }

    /// <inheritdoc />
    public ValueTask<JobRecord> CreateAsync(JobRecord job, JobEvent created, TimeSpan idempotencyTtl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_gate)
        {
            if (job.IdempotencyKey is { } key && _idempotency.TryGetValue(key, out var existingId) &&
                _jobs.TryGetValue(existingId, out var existing) && time.GetUtcNow() - existing.CreatedAt < idempotencyTtl)
            {
                return ValueTask.FromResult(existing);
            }

            if (_jobs.TryGetValue(job.Id, out var clash))
            {
                throw new JobConcurrencyException(job.Id, 0, clash.Version);
            }

            _jobs[job.Id] = job;
            _events[job.Id] = [created];
            if (job.IdempotencyKey is { } newKey)
            {
                _idempotency[newKey] = job.Id;
            }

            return ValueTask.FromResult(job);
        }
    }

    /// <inheritdoc />
    public ValueTask SaveAsync(JobRecord job, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            var stored = _jobs.TryGetValue(job.Id, out var current) ? current.Version : 0;
            if (stored != job.Version - 1)
            {
                throw new JobConcurrencyException(job.Id, job.Version - 1, stored);
            }

            _jobs[job.Id] = job;
            _events[job.Id].AddRange(events);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AppendEventsAsync(string jobId, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            if (!_events.TryGetValue(jobId, out var stored))
            {
                throw new InvalidOperationException($"Job '{jobId}' does not exist.");
            }

            stored.AddRange(events);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<JobRecord?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_jobs.TryGetValue(jobId, out var job) ? job : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JobRecord>> QueryAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            IReadOnlyList<JobRecord> result = _jobs.Values
                .Where(j => query.Status is null || j.Status == query.Status)
                .Where(j => query.Command is null || j.Command == query.Command)
                .Where(j => query.AgentId is null || j.AgentId == query.AgentId)
                .Where(j => query.CorrelationId is null || j.CorrelationId == query.CorrelationId)
                .OrderByDescending(j => j.CreatedAt)
                .ThenByDescending(j => j.Id, StringComparer.Ordinal)
                .Take(Math.Clamp(query.Limit, 1, 1000))
                .ToList();
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<JobRecord> result = _jobs.Values.Where(j => !j.IsFinal).ToList();
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> GetMaxFencingTokenAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_jobs.Count == 0 ? 0 : _jobs.Values.Max(j => j.FencingToken));
        }
    }

    /// <inheritdoc />
    public ValueTask<RetentionResult> ApplyRetentionAsync(DateTimeOffset eventsBefore, DateTimeOffset jobsBefore, DateTimeOffset keysBefore, CancellationToken cancellationToken = default)
    {
        int events = 0, jobs = 0, keys = 0;
        lock (_gate)
        {
            foreach (var job in _jobs.Values.Where(j => j.IsFinal && j.CompletedAt is { } done && done < eventsBefore).ToList())
            {
                var list = _events[job.Id];
                events += list.Count;
                list.Clear();
            }

            foreach (var job in _jobs.Values.Where(j => j.IsFinal && j.CompletedAt is { } done && done < jobsBefore).ToList())
            {
                _jobs.Remove(job.Id);
                events += _events[job.Id].Count;
                _events.Remove(job.Id);
                jobs++;
            }

            foreach (var (key, jobId) in _idempotency.ToList())
            {
                if (!_jobs.TryGetValue(jobId, out var job) || job.CreatedAt < keysBefore)
                {
                    _idempotency.Remove(key);
                    keys++;
                }
            }
        }

        return ValueTask.FromResult(new RetentionResult(events, jobs, keys));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<JobEvent> result = _events.TryGetValue(jobId, out var events)
                ? events.Where(e => e.Sequence > afterSequence).ToList()
                : [];
            return ValueTask.FromResult(result);
        }
    }
}
