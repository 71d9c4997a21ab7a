using System.Text.Json;

namespace OrbitMesh.Storage.Postgres.Tests;

/// <summary>Server leases and job owners: the claims by which several servers share one job store.</summary>
public sealed class PostgresJobClaimStoreTests : IAsyncLifetime
{
    private readonly TempSchema _schema = new();
    private PostgresJobStore _jobs = null!;
    private PostgresJobClaimStore _claims = null!;

    public Task InitializeAsync()
    {
        var database = _schema.Open();
        _jobs = new PostgresJobStore(database, TimeProvider.System);
        _claims = new PostgresJobClaimStore(database);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task AnUnownedJob_IsClaimedOnce_AtItsNextVersion_AndAStaleOwnersWriteIsRefused()
    {
        var job = await CreateAsync("job_1");
        Assert.True(await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromSeconds(30)));
        Assert.True(await _claims.RenewLeaseAsync("srv-b", TimeSpan.FromSeconds(30)));

        var claimed = await _claims.ClaimAsync("srv-a", All());
        Assert.Equal(["job_1"], claimed.Select(j => j.Id));
        Assert.Equal(job.Version + 1, claimed[0].Version);
        Assert.Empty(await _claims.ClaimAsync("srv-b", All()));
        Assert.Equal(new JobOwner("srv-a", true), await _claims.GetOwnerAsync("job_1"));
        Assert.Equal(claimed[0].Version, (await _jobs.GetAsync("job_1"))!.Version);

        // Whoever still holds the version before the claim writes in vain: the claim fenced it.
        var stale = job with { Version = job.Version + 1, Status = JobStatus.Assigned };
        await Assert.ThrowsAsync<JobConcurrencyException>(() => _jobs.SaveAsync(stale, []).AsTask());
        await _jobs.SaveAsync(claimed[0] with { Version = claimed[0].Version + 1, Status = JobStatus.Assigned }, []);
    }

    [Fact]
    public async Task AJobOfAServerWhoseLeaseLapsed_IsClaimedByAnother_AndTheLapsedServerIsToldSoAtItsNextRenewal()
    {
        await CreateAsync("job_2");
        Assert.True(await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromMilliseconds(200)));
        Assert.Single(await _claims.ClaimAsync("srv-a", All()));
        Assert.Empty(await _claims.ClaimAsync("srv-b", All()));

        await Wait.UntilAsync(async () => await _claims.GetOwnerAsync("job_2") is { Alive: false }, "srv-a's lease to lapse");
        var taken = await _claims.ClaimAsync("srv-b", new JobClaimRequest { Accept = c => c.Owner == "srv-a" && c.OwnerLapsedFor >= TimeSpan.Zero });
        Assert.Equal(["job_2"], taken.Select(j => j.Id));
        Assert.Equal("srv-b", (await _claims.GetOwnerAsync("job_2"))!.ServerId);
        Assert.False(await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromSeconds(30)));
        Assert.True(await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ConcurrentClaims_NeverTakeOneJobTwice()
    {
        for (var i = 0; i < 60; i++)
        {
            await CreateAsync($"job_c{i:00}");
        }

        var servers = Enumerable.Range(0, 4).Select(i => $"srv-{i}").ToArray();
        foreach (var server in servers)
        {
            await _claims.RenewLeaseAsync(server, TimeSpan.FromSeconds(30));
        }

        var rounds = servers.Select(server => Task.Run(async () =>
        {
            var mine = new List<string>();
            for (var round = 0; round < 10; round++)
            {
                mine.AddRange((await _claims.ClaimAsync(server, new JobClaimRequest { Accept = _ => true, Limit = 3, ScanLimit = 5 })).Select(j => j.Id));
            }

            return mine;
        })).ToArray();
        var all = (await Task.WhenAll(rounds)).SelectMany(ids => ids).ToList();

        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(60, all.Count);
    }

    [Fact]
    public async Task IncludeOwn_TakesBackARestartedServersJobs_AcceptDecides_AndReleaseAndEndLeaseFreeThem()
    {
        await CreateAsync("job_3");
        await CreateAsync("job_4");
        await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromSeconds(30));
        Assert.Single(await _claims.ClaimAsync("srv-a", new JobClaimRequest { JobIds = ["job_3"], Accept = _ => true }));

        Assert.Empty(await _claims.ClaimAsync("srv-a", new JobClaimRequest { JobIds = ["job_3"], Accept = _ => true }));
        var own = await _claims.ClaimAsync("srv-a", new JobClaimRequest { IncludeOwn = true, Accept = c => c.Owner == "srv-a" });
        Assert.Equal(["job_3"], own.Select(j => j.Id));

        Assert.False(await _claims.ReleaseAsync("srv-b", "job_3", own[0].Version));
        Assert.False(await _claims.ReleaseAsync("srv-a", "job_3", own[0].Version - 1));
        Assert.True(await _claims.ReleaseAsync("srv-a", "job_3", own[0].Version));
        Assert.Equal(new JobOwner(null, false), await _claims.GetOwnerAsync("job_3"));
        Assert.Equal(own[0].Version + 1, (await _jobs.GetAsync("job_3"))!.Version);

        Assert.Equal(2, (await _claims.ClaimAsync("srv-a", All())).Count);
        await _claims.EndLeaseAsync("srv-a");
        Assert.Equal(new JobOwner(null, false), await _claims.GetOwnerAsync("job_4"));
        Assert.Null(await _claims.GetOwnerAsync("job_missing"));
    }

    [Fact]
    public async Task AFinishedJob_HasNoOwner_AndIsNeverClaimed()
    {
        var job = await CreateAsync("job_5");
        await _claims.RenewLeaseAsync("srv-a", TimeSpan.FromSeconds(30));
        var claimed = (await _claims.ClaimAsync("srv-a", All())).Single();
        await _jobs.SaveAsync(claimed with { Version = claimed.Version + 1, Status = JobStatus.Completed }, []);

        Assert.Equal(new JobOwner(null, false), await _claims.GetOwnerAsync(job.Id));
        await _claims.EndLeaseAsync("srv-a");
        Assert.Empty(await _claims.ClaimAsync("srv-b", All()));
    }

    private static JobClaimRequest All() => new() { Accept = _ => true };

    private async Task<JobRecord> CreateAsync(string id)
    {
        var job = JobRecord.FromRequest(new JobRequest { Id = id, Command = "cmd", Parameters = JsonSerializer.SerializeToElement(new { x = 1 }) }, DateTimeOffset.UtcNow);
        return await _jobs.CreateAsync(job, new JobEvent { JobId = id, Sequence = 1, Status = job.Status, Timestamp = job.CreatedAt }, TimeSpan.FromHours(1));
    }
}
