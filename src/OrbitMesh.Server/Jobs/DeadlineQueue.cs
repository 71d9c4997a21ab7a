namespace OrbitMesh.Server.Jobs;

/// <summary>What a deadline checks.</summary>
internal enum DeadlineKind
{
    /// <summary>The running attempt's lease.</summary>
    Lease,

    /// <summary>The running attempt's timeout.</summary>
    Timeout,

    /// <summary>The grace period after cancelling a running job.</summary>
    CancelGrace,

    /// <summary>A retry's backoff ended: dispatch the job.</summary>
    NotBefore,
}

/// <summary>A deadline for one attempt of one job (identified by its fencing token, so deadlines of old attempts are ignored).</summary>
internal readonly record struct Deadline(string JobId, long FencingToken, DeadlineKind Kind);

/// <summary>A min-heap of deadlines, thread-safe.</summary>
internal sealed class DeadlineQueue
{
    private readonly PriorityQueue<Deadline, DateTimeOffset> _heap = new();
    private readonly object _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _heap.Count;
            }
        }
    }

    public void Add(Deadline deadline, DateTimeOffset due)
    {
        lock (_gate)
        {
            _heap.Enqueue(deadline, due);
        }
    }

    /// <summary>Removes and returns every deadline due at or before <paramref name="now"/>.</summary>
    public List<Deadline> TakeDue(DateTimeOffset now)
    {
        var due = new List<Deadline>();
        lock (_gate)
        {
            while (_heap.TryPeek(out var deadline, out var at) && at <= now)
            {
                _heap.Dequeue();
                due.Add(deadline);
            }
        }

        return due;
    }
}
