using System.Diagnostics;

namespace OrbitMesh.Bench;

/// <summary>Collects latencies and reports throughput and percentiles.</summary>
internal sealed class Latency
{
    private readonly List<long> _ticks = [];
    private readonly object _gate = new();

    public void Add(long stopwatchTicks)
    {
        lock (_gate)
        {
            _ticks.Add(stopwatchTicks);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _ticks.Count;
            }
        }
    }

    public double PercentileMs(double percentile)
    {
        lock (_gate)
        {
            if (_ticks.Count == 0)
            {
                return 0;
            }

            var sorted = _ticks.Order().ToArray();
            var index = (int)Math.Min(sorted.Length - 1, Math.Ceiling(percentile / 100 * sorted.Length) - 1);
            return sorted[Math.Max(0, index)] * 1000.0 / Stopwatch.Frequency;
        }
    }

    /// <summary>Runs <paramref name="concurrency"/> loops of <paramref name="operation"/> for <paramref name="duration"/> after a warm-up; returns operations per second.</summary>
    public static async Task<(double PerSecond, Latency Latency)> MeasureAsync(int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, Task> operation)
    {
        var latency = new Latency();
        var measuring = false;
        using var stop = new CancellationTokenSource();
        var counted = 0L;
        var loops = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var start = Stopwatch.GetTimestamp();
                await operation(worker);
                if (Volatile.Read(ref measuring))
                {
                    latency.Add(Stopwatch.GetTimestamp() - start);
                    Interlocked.Increment(ref counted);
                }
            }
        })).ToArray();

        await Task.Delay(warmup);
        var watch = Stopwatch.StartNew();
        Volatile.Write(ref measuring, true);
        await Task.Delay(duration);
        Volatile.Write(ref measuring, false);
        var elapsed = watch.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return (Interlocked.Read(ref counted) / elapsed.TotalSeconds, latency);
    }
}
