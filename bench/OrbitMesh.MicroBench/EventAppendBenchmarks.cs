using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;
using OrbitMesh.Storage.Sqlite;

namespace OrbitMesh.MicroBench;

/// <summary>Appending a job event: in memory, and on SQLite (WAL, group commit) one at a time and 64 at once.</summary>
[MemoryDiagnoser]
public class EventAppendBenchmarks
{
    private const int Concurrent = 64;
    private readonly EventData[] _event = [new("status", JsonSerializer.SerializeToElement(new { from = "Running", to = "Completed", attempt = 1, agentId = "worker-1" }))];
    private InMemoryEventStore _memory = null!;
    private SqliteDatabase _database = null!;
    private SqliteEventStore _sqlite = null!;
    private string _directory = null!;
    private long _stream;

    [GlobalSetup]
    public void Setup()
    {
        _memory = new InMemoryEventStore(TimeProvider.System);
        _directory = Path.Combine(Path.GetTempPath(), "orbitmesh-microbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_directory);
        _database = new SqliteDatabase(new SqliteStorageOptions { Path = Path.Combine(_directory, "orbitmesh.db") }, NullLogger<SqliteDatabase>.Instance);
        _sqlite = new SqliteEventStore(_database, TimeProvider.System);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Each append starts a new stream (expected version 0), as a submitted job does.</summary>
    private string NextStream() => "job-" + Interlocked.Increment(ref _stream).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Benchmark]
    public ValueTask<long> InMemory_AppendOne() => _memory.AppendAsync(NextStream(), 0, _event);

    [Benchmark]
    public ValueTask<long> Sqlite_AppendOne() => _sqlite.AppendAsync(NextStream(), 0, _event);

    [Benchmark(OperationsPerInvoke = Concurrent)]
    public async Task Sqlite_Append64Concurrently()
    {
        var appends = new Task<long>[Concurrent];
        for (var i = 0; i < Concurrent; i++)
        {
            appends[i] = _sqlite.AppendAsync(NextStream(), 0, _event).AsTask();
        }

        await Task.WhenAll(appends);
    }
}
