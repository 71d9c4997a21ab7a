using System.Threading.Channels;

namespace OrbitMesh.Server.Jobs;

/// <summary>
/// The live state of a job that is not final (or finished moments ago): its current record, the lock
/// that serializes its transitions, its watchers, and the current attempt. Fields are guarded by <see cref="Gate"/>.
/// </summary>
internal sealed class ActiveJob(JobRecord record)
{
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public JobRecord Record { get; set; } = record;

    public string Id => Record.Id;

    /// <summary>The sequence of the last event published (persisted or not).</summary>
    public long EventSequence { get; set; } = 1;

    public TaskCompletionSource<JobRecord> Final { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public List<JobWatcher> Watchers { get; } = [];

    public AttemptState? Attempt { get; set; }

    /// <summary>Agents not to offer this job to again, with until when (null: for good).</summary>
    public Dictionary<string, DateTimeOffset?> Excluded { get; } = new(StringComparer.Ordinal);

    /// <summary>The last refusal, reported if no agent can take the job.</summary>
    public JobError? LastRefusal { get; set; }

    /// <summary>When the job last became ready to run: submitted, or due again (for the dispatch latency metric).</summary>
    public DateTimeOffset ReadySince { get; set; } = record.CreatedAt;

    /// <summary>When the job started waiting for a matching agent (for the no-agent timeout).</summary>
    public DateTimeOffset? UnmatchedSince { get; set; }

    /// <summary>True until the job first leaves Pending: it holds an admission slot.</summary>
    public bool HoldsAdmission { get; set; } = true;

    /// <summary>When the running attempt's lease lapses (renewed in memory by progress, items and heartbeats).</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Live progress, newer than the persisted record.</summary>
    public double? ProgressPercent { get; set; }

    public string? ProgressMessage { get; set; }

    /// <summary>Redacts the job's secret values from what its handler reports (decrypted once, on the first report).</summary>
    public SecretRedactor? Redactor { get; set; }

    /// <summary>The next streamed item index the server expects.</summary>
    public long NextItemSequence { get; set; }

    /// <summary>Input the caller streams to the job, when it does.</summary>
    public IAsyncEnumerable<System.Text.Json.JsonElement>? Input { get; set; }

    /// <summary>True once input started flowing to an attempt (the job can then not be retried).</summary>
    public bool InputStarted { get; set; }

    /// <summary>The record with live progress merged in.</summary>
    public JobRecord Snapshot() => ProgressPercent is null && ProgressMessage is null
        ? Record
        : Record with { ProgressPercent = ProgressPercent ?? Record.ProgressPercent, ProgressMessage = ProgressMessage ?? Record.ProgressMessage };
}

/// <summary>One assignment of a job to an agent.</summary>
internal sealed class AttemptState(int attempt, long fencingToken, string agentId, string connectionId)
{
    public required string JobId { get; init; }

    public int Attempt { get; } = attempt;

    public long FencingToken { get; } = fencingToken;

    public string AgentId { get; } = agentId;

    /// <summary>The agent's connection; updated when the agent reconnects while it runs the job.</summary>
    public string ConnectionId { get; set; } = connectionId;

    /// <summary>True when acknowledged; false when refused, lost or ended before acknowledgement.</summary>
    public TaskCompletionSource<bool> Acked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How the attempt ended.</summary>
    public TaskCompletionSource<JobResult> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when the attempt ends, stopping anything still working for it.</summary>
    public CancellationTokenSource Ended { get; } = new();

    /// <summary>True once the assignment was sent.</summary>
    public bool Sent { get; set; }
}

/// <summary>A subscriber to a job's events.</summary>
internal sealed class JobWatcher
{
    private readonly Channel<JobEvent> _channel = Channel.CreateBounded<JobEvent>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Events buffered per watcher before the job's producer waits (items) or events are dropped (progress).</summary>
    public const int Capacity = 1024;

    public ChannelReader<JobEvent> Reader => _channel.Reader;

    /// <summary>Progress is superseded by the next report: dropped when the watcher is behind.</summary>
    public bool TryWrite(JobEvent jobEvent) => _channel.Writer.TryWrite(jobEvent);

    /// <summary>Items and status changes wait for room, so a slow consumer slows the producer instead of losing data.</summary>
    public async ValueTask<bool> WriteAsync(JobEvent jobEvent, TimeSpan timeout, TimeProvider time)
    {
        if (_channel.Writer.TryWrite(jobEvent))
        {
            return true;
        }

        using var cts = new CancellationTokenSource(timeout, time);
        try
        {
            await _channel.Writer.WriteAsync(jobEvent, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    /// <summary>True once the reader went away; writes to it are skipped.</summary>
    public bool Closed { get; private set; }

    /// <summary>The reader stopped reading: blocked and future writes fail at once instead of waiting for room.</summary>
    public void Close()
    {
        Closed = true;
        _channel.Writer.TryComplete();
    }
}
