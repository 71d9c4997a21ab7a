using System.Text.Json;
using OrbitMesh.Storage;
using Xunit;

namespace OrbitMesh.Testing.Specifications;

/// <summary>What every <see cref="IJobStore"/> must do. Provider test projects inherit it.</summary>
public abstract class JobStoreSpecification : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    protected ManualTimeProvider Time { get; } = new(T0);

    protected IJobStore Store { get; private set; } = null!;

    protected abstract Task<IJobStore> CreateStoreAsync(TimeProvider time);

    protected virtual Task DisposeStoreAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync(Time);

    public Task DisposeAsync() => DisposeStoreAsync();

    protected JobRecord NewJob(string id, string? key = null, DateTimeOffset? at = null) =>
        JobRecord.FromRequest(new JobRequest
        {
            Id = id,
            Command = "cmd",
            IdempotencyKey = key,
            Parameters = JsonSerializer.SerializeToElement(new { x = 1 }),
            CorrelationId = "corr-" + id[^1],
        }, at ?? Time.GetUtcNow());

    protected static JobEvent Created(JobRecord job) => new() { JobId = job.Id, Sequence = 1, Status = job.Status, Timestamp = job.CreatedAt };

    protected static JobEvent Step(JobRecord job, long sequence) => new() { JobId = job.Id, Sequence = sequence, Status = job.Status, AgentId = job.AgentId, Timestamp = job.UpdatedAt };

    [Fact]
    public async Task Create_ThenGet_RoundTripsTheRecord()
    {
        var job = NewJob("job_a");
        var stored = await Store.CreateAsync(job, Created(job), TimeSpan.FromHours(1));

        Assert.Same(job, stored);
        var read = await Store.GetAsync("job_a");
        Assert.Equal(job.Id, read!.Id);
        Assert.Equal(1, read.Parameters!.Value.GetProperty("x").GetInt32());
        Assert.Equal(JobStatus.Pending, read.Status);
        Assert.Null(await Store.GetAsync("job_missing"));
    }

    [Fact]
    public async Task Create_WithATakenIdempotencyKey_ReturnsTheExistingJob_UntilTheKeyExpires()
    {
        var first = NewJob("job_b1", key: "k");
        await Store.CreateAsync(first, Created(first), TimeSpan.FromMinutes(10));

        var second = NewJob("job_b2", key: "k");
        var existing = await Store.CreateAsync(second, Created(second), TimeSpan.FromMinutes(10));
        Assert.Equal("job_b1", existing.Id);
        Assert.Null(await Store.GetAsync("job_b2"));

        Time.Advance(TimeSpan.FromMinutes(11));
        var third = NewJob("job_b3", key: "k");
        Assert.Same(third, await Store.CreateAsync(third, Created(third), TimeSpan.FromMinutes(10)));
    }

    [Fact]
    public async Task Create_ConcurrentlyWithOneKey_CreatesOneJob()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            var job = NewJob($"job_c{i}", key: "same");
            return (await Store.CreateAsync(job, Created(job), TimeSpan.FromHours(1))).Id;
        }));

        Assert.Single(results.Distinct());
    }

    [Fact]
    public async Task Save_RequiresTheNextVersion_AndKeepsTheEvents()
    {
        var job = NewJob("job_d");
        await Store.CreateAsync(job, Created(job), TimeSpan.FromHours(1));
        var assigned = job with { Status = JobStatus.Assigned, Version = 2, AgentId = "a1", FencingToken = 77 };
        await Store.SaveAsync(assigned, [Step(assigned, 2)]);

        var stale = job with { Status = JobStatus.Cancelled, Version = 2 };
        var error = await Assert.ThrowsAsync<JobConcurrencyException>(() => Store.SaveAsync(stale, [Step(stale, 3)]).AsTask());
        Assert.Equal(2, error.ActualVersion);

        var read = await Store.GetAsync("job_d");
        Assert.Equal(JobStatus.Assigned, read!.Status);
        Assert.Equal(77, read.FencingToken);
        Assert.Equal([1L, 2L], (await Store.GetEventsAsync("job_d")).Select(e => e.Sequence));
        Assert.Equal(77, await Store.GetMaxFencingTokenAsync());
    }

    [Fact]
    public async Task Query_FiltersAndOrdersNewestFirst_Unfinished_ExcludesFinal()
    {
        for (var i = 0; i < 5; i++)
        {
            var job = NewJob($"job_e{i}", at: T0.AddSeconds(i));
            await Store.CreateAsync(job, Created(job), TimeSpan.FromHours(1));
        }

        var done = (await Store.GetAsync("job_e2"))! with { Status = JobStatus.Completed, Version = 2, CompletedAt = T0.AddSeconds(10), AgentId = "a1" };
        await Store.SaveAsync(done, [Step(done, 2)]);

        Assert.Equal(["job_e4", "job_e3", "job_e1", "job_e0"], (await Store.QueryAsync(new JobQuery { Status = JobStatus.Pending })).Select(j => j.Id));
        Assert.Equal("job_e2", Assert.Single(await Store.QueryAsync(new JobQuery { AgentId = "a1" })).Id);
        Assert.Equal(2, (await Store.QueryAsync(new JobQuery { Limit = 2 })).Count);
        Assert.Equal("job_e3", Assert.Single(await Store.QueryAsync(new JobQuery { CorrelationId = "corr-3" })).Id);
        Assert.DoesNotContain(await Store.LoadUnfinishedAsync(), j => j.Id == "job_e2");
        Assert.Equal(4, (await Store.LoadUnfinishedAsync()).Count);
    }

    [Fact]
    public async Task Retention_DropsOldEventsThenOldJobs_NeverUnfinishedOnes()
    {
        var old = NewJob("job_f_old", key: "old-key");
        var running = NewJob("job_f_running");
        await Store.CreateAsync(old, Created(old), TimeSpan.FromDays(30));
        await Store.CreateAsync(running, Created(running), TimeSpan.FromDays(30));
        var finished = old with { Status = JobStatus.Completed, Version = 2, CompletedAt = T0 };
        await Store.SaveAsync(finished, [Step(finished, 2)]);

        var eventsOnly = await Store.ApplyRetentionAsync(T0.AddSeconds(1), T0.AddDays(-1), T0.AddDays(-30));
        Assert.Equal(2, eventsOnly.EventsDeleted);
        Assert.Equal(0, eventsOnly.JobsDeleted);
        Assert.NotNull(await Store.GetAsync("job_f_old"));
        Assert.Empty(await Store.GetEventsAsync("job_f_old"));

        var jobs = await Store.ApplyRetentionAsync(T0.AddSeconds(1), T0.AddSeconds(1), T0.AddSeconds(1));
        Assert.Equal(1, jobs.JobsDeleted);
        Assert.Null(await Store.GetAsync("job_f_old"));
        Assert.NotNull(await Store.GetAsync("job_f_running"));
        Assert.Single(await Store.GetEventsAsync("job_f_running"));
    }
}
