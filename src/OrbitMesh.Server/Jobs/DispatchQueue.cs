using System.Collections.Concurrent;
using System.Threading.Channels;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// The dispatcher's queue: one bounded <see cref="Channel{T}"/> lane per priority, served by weighted
/// round-robin (high 4, normal 2, low 1 in every cycle of 7) so that higher priorities go first and low
/// priority is never starved. Jobs that found every matching agent full wait in per-priority parking
/// lanes until capacity frees up; jobs no agent matches wait in a separate set that is re-examined when
/// agents arrive.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim without a wait handle needs no disposal; the queue lives as long as the server.")]
internal sealed class DispatchQueue
{
    private static readonly JobPriority[] Cycle =
        [JobPriority.High, JobPriority.High, JobPriority.Normal, JobPriority.High, JobPriority.Normal, JobPriority.High, JobPriority.Low];

    private readonly Channel<string>[] _lanes;
    private readonly ConcurrentQueue<string>[] _parked = [new(), new(), new()];
    private readonly ConcurrentDictionary<string, JobPriority> _unmatched = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private int _cursor;
    private int _parkedCursor;

    public DispatchQueue(int capacityPerLane)
    {
        _lanes = new Channel<string>[3];
        for (var i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = Channel.CreateBounded<string>(new BoundedChannelOptions(capacityPerLane)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = false,
                SingleWriter = false,
            });
        }
    }

    /// <summary>Jobs waiting in lanes.</summary>
    public int QueuedCount => _lanes.Sum(l => l.Reader.Count);

    /// <summary>Jobs waiting for a full agent to free a slot.</summary>
    public int ParkedCount => _parked.Sum(p => p.Count);

    /// <summary>Jobs waiting for any matching agent.</summary>
    public int UnmatchedCount => _unmatched.Count;

    /// <summary>Adds a job to its lane, waiting for room if the lane is full.</summary>
    public async ValueTask EnqueueAsync(string jobId, JobPriority priority, CancellationToken cancellationToken)
    {
        await _lanes[(int)priority].Writer.WriteAsync(jobId, cancellationToken).ConfigureAwait(false);
        _available.Release();
    }

    /// <summary>Takes the next job by weighted round-robin, waiting when every lane is empty.</summary>
    public async ValueTask<string> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
            var start = Interlocked.Increment(ref _cursor);
            for (var i = 0; i < Cycle.Length; i++)
            {
                var lane = _lanes[(int)Cycle[(start + i) % Cycle.Length]];
                if (lane.Reader.TryRead(out var jobId))
                {
                    return jobId;
                }
            }

            // Another reader took the item this permit stood for between the release and here; wait again.
        }
    }

    /// <summary>Parks a job whose matching agents are all full.</summary>
    public void Park(string jobId, JobPriority priority) => _parked[(int)priority].Enqueue(jobId);

    /// <summary>Moves up to <paramref name="count"/> parked jobs back to their lanes, highest priority first by the same weights.</summary>
    public int Unpark(int count)
    {
        var moved = 0;
        while (moved < count)
        {
            var found = false;
            var start = Interlocked.Increment(ref _parkedCursor);
            for (var i = 0; i < Cycle.Length && !found; i++)
            {
                var priority = Cycle[(start + i) % Cycle.Length];
                if (_parked[(int)priority].TryDequeue(out var jobId))
                {
                    if (_lanes[(int)priority].Writer.TryWrite(jobId))
                    {
                        _available.Release();
                    }
                    else
                    {
                        _parked[(int)priority].Enqueue(jobId);
                        return moved;
                    }

                    found = true;
                    moved++;
                }
            }

            if (!found)
            {
                break;
            }
        }

        return moved;
    }

    /// <summary>Sets a job aside until an agent that matches it connects.</summary>
    public void Unmatched(string jobId, JobPriority priority) => _unmatched[jobId] = priority;

    /// <summary>Moves every unmatched job back to its lane.</summary>
    public int RequeueUnmatched()
    {
        var moved = 0;
        foreach (var (jobId, priority) in _unmatched)
        {
            if (_unmatched.TryRemove(jobId, out _) && _lanes[(int)priority].Writer.TryWrite(jobId))
            {
                _available.Release();
                moved++;
            }
        }

        return moved;
    }
}
