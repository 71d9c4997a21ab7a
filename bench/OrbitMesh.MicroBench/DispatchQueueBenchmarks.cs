using BenchmarkDotNet.Attributes;
using OrbitMesh.Server.Jobs;

namespace OrbitMesh.MicroBench;

/// <summary>The dispatcher's queue: a job id in and out, alone and in a batch of mixed priorities.</summary>
[MemoryDiagnoser]
public class DispatchQueueBenchmarks
{
    private const int Batch = 1000;
    private static readonly JobPriority[] Priorities = [JobPriority.Low, JobPriority.Normal, JobPriority.High, JobPriority.Normal];
    private readonly DispatchQueue _queue = new(capacityPerLane: 10_000);
    private readonly string[] _ids = [.. Enumerable.Range(0, Batch).Select(i => $"job_{i:D20}")];

    [Benchmark]
    public async ValueTask<string> EnqueueDequeueOne()
    {
        await _queue.EnqueueAsync(_ids[0], JobPriority.Normal, CancellationToken.None);
        return await _queue.DequeueAsync(CancellationToken.None);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async ValueTask<int> EnqueueThenDequeueBatchOfMixedPriorities()
    {
        for (var i = 0; i < Batch; i++)
        {
            await _queue.EnqueueAsync(_ids[i], Priorities[i & 3], CancellationToken.None);
        }

        var taken = 0;
        for (var i = 0; i < Batch; i++)
        {
            taken += (await _queue.DequeueAsync(CancellationToken.None)).Length;
        }

        return taken;
    }
}
