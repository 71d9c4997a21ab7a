using System.Text.Json;
using OrbitMesh.Server.Storage;

namespace OrbitMesh.Workflows.Tests.Triggers;

/// <summary>Cron triggers on a manual clock: on time, once per scheduled time across servers, missed times by policy, state across restarts, daylight saving.</summary>
public sealed class CronTriggerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static WorkflowTrigger Hourly(string name = "hourly", MissedTickPolicy missed = MissedTickPolicy.Skip) => new()
    {
        Name = name,
        Workflow = "nightly",
        Kind = WorkflowTriggerKind.Cron,
        Schedule = "0 * * * *",
        MissedTicks = missed,
        Parameters = JsonSerializer.SerializeToElement(new { region = "eu" }),
    };

    [Fact]
    public async Task ATimeFiresOnce_WithTheTriggerParametersAndItsScheduledTime()
    {
        var clock = new ManualTimeProvider(Start.AddMinutes(10));
        await using var host = await TriggerHost.StartAsync(clock);
        await host.RegisterWorkflowAsync();
        await host.Triggers.SaveAsync(Hourly());
        var info = await host.Triggers.GetAsync("hourly");
        Assert.Equal(Start.AddHours(1), info!.NextFireAt);

        clock.Advance(TimeSpan.FromMinutes(50) + TimeSpan.FromMilliseconds(300));
        await host.ClaimedAsync("hourly", Start.AddHours(1));
        await Wait.UntilAsync(async () => (await host.RunsAsync()).Count == 1, "the run to start");

        var run = (await host.RunsAsync()).Single();
        Assert.Equal(CronTriggerScheduler.RunIdOf("hourly", Start.AddHours(1)), run.RunId);
        var parameters = run.Parameters!.Value;
        Assert.Equal("eu", parameters.GetProperty("region").GetString());
        var trigger = parameters.GetProperty("trigger");
        Assert.Equal("hourly", trigger.GetProperty("name").GetString());
        Assert.Equal("cron", trigger.GetProperty("kind").GetString());
        Assert.Equal(Start.AddHours(1), trigger.GetProperty("scheduledAt").GetDateTimeOffset());
        Assert.Equal(0, trigger.GetProperty("missed").GetInt32());
        await host.UntilAsync(() => host.Scheduler.NextFireAt("hourly") == Start.AddHours(2), "the next time to be planned");
    }

    [Fact]
    public async Task ThreeServersOnOneStore_StartOneRunPerScheduledTime()
    {
        var clock = new ManualTimeProvider(Start.AddMinutes(59));
        var store = new InMemoryEventStore(TimeProvider.System);
        await using var a = await TriggerHost.StartAsync(clock, store);
        await a.RegisterWorkflowAsync();
        await a.Triggers.SaveAsync(Hourly());
        await using var b = await TriggerHost.StartAsync(clock, store);
        await using var c = await TriggerHost.StartAsync(clock, store);
        await b.RegisterWorkflowAsync();
        await c.RegisterWorkflowAsync();
        TriggerHost[] servers = [a, b, c];

        for (var hour = 1; hour <= 5; hour++)
        {
            var due = Start.AddHours(hour);
            foreach (var server in servers)
            {
                await Wait.UntilAsync(() => server.Scheduler.NextFireAt("hourly") == due, $"every server to plan {due:t}");
            }

            clock.Advance(due + TimeSpan.FromMilliseconds(200) - clock.GetUtcNow());
            await a.ClaimedAsync("hourly", due);
            foreach (var server in servers)
            {
                await server.UntilAsync(() => server.Scheduler.NextFireAt("hourly") == due.AddHours(1), $"every server to move past {due:t}");
            }

            clock.Advance(TimeSpan.FromMinutes(59));
        }

        var runs = await a.IndexedRunsAsync();
        Assert.Equal(5, runs.Count);
        Assert.Equal(Enumerable.Range(1, 5).Select(h => CronTriggerScheduler.RunIdOf("hourly", Start.AddHours(h))).Order(StringComparer.Ordinal), runs.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(MissedTickPolicy.Skip, 0)]
    [InlineData(MissedTickPolicy.RunOnce, 1)]
    public async Task AfterDowntime_MissedTimesFollowThePolicy_NeverABurst(MissedTickPolicy policy, int expectedRuns)
    {
        var clock = new ManualTimeProvider(Start.AddMinutes(30));
        var store = new InMemoryEventStore(TimeProvider.System);
        await using (var before = await TriggerHost.StartAsync(clock, store))
        {
            await before.RegisterWorkflowAsync();
            await before.Triggers.SaveAsync(Hourly(missed: policy));
        }

        // Down from 00:30 to 05:10: 01:00, 02:00, 03:00, 04:00 and 05:00 pass with no server.
        clock.Advance(TimeSpan.FromHours(4) + TimeSpan.FromMinutes(40));
        await using var after = await TriggerHost.StartAsync(clock, store);
        await after.ClaimedAsync("hourly", Start.AddHours(5));
        await Wait.UntilAsync(async () => (await after.IndexedRunsAsync()).Count == expectedRuns, $"{expectedRuns} run(s)");

        var info = await after.Triggers.GetAsync("hourly");
        Assert.Equal(expectedRuns == 1 ? 4 : 5, info!.LastMissed);
        Assert.Equal(Start.AddHours(6), info.NextFireAt);
        if (expectedRuns == 1)
        {
            var run = (await after.RunsAsync()).Single();
            Assert.Equal(Start.AddHours(5), run.Parameters!.Value.GetProperty("trigger").GetProperty("scheduledAt").GetDateTimeOffset());
            Assert.Equal(4, run.Parameters!.Value.GetProperty("trigger").GetProperty("missed").GetInt32());
        }

        // Back to normal: 06:00 fires on time whatever the policy.
        clock.Advance(Start.AddHours(6).AddSeconds(1) - clock.GetUtcNow());
        await after.ClaimedAsync("hourly", Start.AddHours(6));
        await Wait.UntilAsync(async () => (await after.IndexedRunsAsync()).Count == expectedRuns + 1, "the 06:00 run");
    }

    [Fact]
    public async Task ARestart_NeitherRepeatsNorLosesATime_AndStartsARunItsClaimerCrashedBefore()
    {
        var clock = new ManualTimeProvider(Start.AddMinutes(59));
        var store = new InMemoryEventStore(TimeProvider.System);
        await using (var first = await TriggerHost.StartAsync(clock, store))
        {
            await first.RegisterWorkflowAsync();
            await first.Triggers.SaveAsync(Hourly());
            clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromMilliseconds(100));
            await first.ClaimedAsync("hourly", Start.AddHours(1));
            await Wait.UntilAsync(async () => (await first.IndexedRunsAsync()).Count == 1, "the 01:00 run");

            // A server that claims 02:00 and dies before starting its run.
            var (_, version) = await first.Store.LastTickAsync("hourly", CancellationToken.None);
            Assert.True(await first.Store.ClaimTickAsync("hourly", version, new TriggerTick
            {
                ScheduledAt = Start.AddHours(2),
                ClaimedAt = Start.AddHours(2),
                RunId = CronTriggerScheduler.RunIdOf("hourly", Start.AddHours(2)),
            }, CancellationToken.None));
        }

        clock.Advance(Start.AddHours(2).AddSeconds(30) - clock.GetUtcNow());
        await using var second = await TriggerHost.StartAsync(clock, store);
        await Wait.UntilAsync(async () => (await second.IndexedRunsAsync()).Count == 2, "the orphaned 02:00 run to be started");
        Assert.Contains(CronTriggerScheduler.RunIdOf("hourly", Start.AddHours(2)), await second.IndexedRunsAsync());
        Assert.Equal(Start.AddHours(3), (await second.Triggers.GetAsync("hourly"))!.NextFireAt);
    }

    [Fact]
    public async Task ADisabledTrigger_FiresNothing_AndOnceEnabledFiresNoTimeThatPassedMeanwhile()
    {
        var clock = new ManualTimeProvider(Start.AddMinutes(30));
        await using var host = await TriggerHost.StartAsync(clock);
        await host.RegisterWorkflowAsync();
        await host.Triggers.SaveAsync(Hourly(missed: MissedTickPolicy.RunOnce) with { Enabled = false });
        Assert.Null((await host.Triggers.GetAsync("hourly"))!.NextFireAt);

        clock.Advance(TimeSpan.FromHours(2));
        await host.Triggers.SetEnabledAsync("hourly", true);
        await Wait.UntilAsync(() => host.Scheduler.NextFireAt("hourly") == Start.AddHours(3), "03:00 to be next");
        Assert.Empty(await host.IndexedRunsAsync());
        Assert.Null((await host.Store.LastTickAsync("hourly", CancellationToken.None)).Tick);
    }

    [Fact]
    public async Task DaylightSaving_InBerlin_SkippedTimeFiresAtTheNextValidInstant_RepeatedTimeFiresOnce()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero));
        await using var host = await TriggerHost.StartAsync(clock);
        await host.RegisterWorkflowAsync();
        await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "night", Workflow = "nightly", Kind = WorkflowTriggerKind.Cron, Schedule = "30 2 * * *", TimeZone = "Europe/Berlin" });

        // 29 March: clocks jump from 02:00 to 03:00 CEST, so 02:30 does not exist; it fires at 03:00 CEST (01:00 UTC).
        var spring = new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero);
        await Wait.UntilAsync(() => host.Scheduler.NextFireAt("night") == spring, "03:00 CEST to be planned");
        clock.Advance(spring.AddSeconds(1) - clock.GetUtcNow());
        await host.ClaimedAsync("night", spring);

        // The next night is normal again: 02:30 CEST is 00:30 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), (await host.Triggers.GetAsync("night"))!.NextFireAt);

        // 25 October: 02:00-03:00 happens twice (CEST, then CET); 02:30 fires once, the first time (00:30 UTC).
        var schedule = CronSchedule.Parse("30 2 * * *", "Europe/Berlin", clock.GetUtcNow());
        var october = schedule.Between(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 26, 12, 0, 0, TimeSpan.Zero), 10).ToList();
        Assert.Equal([new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero)], october);

        // And the scheduler does the same on the fake clock across the fall-back night.
        await host.Triggers.SaveAsync(new WorkflowTrigger { Name = "night", Workflow = "nightly", Kind = WorkflowTriggerKind.Cron, Schedule = "30 2 * * *", TimeZone = "Europe/Berlin", Enabled = false });
        clock.Advance(new DateTimeOffset(2026, 10, 24, 12, 0, 0, TimeSpan.Zero) - clock.GetUtcNow());
        await host.Triggers.SetEnabledAsync("night", true);
        var fallBack = new DateTimeOffset(2026, 10, 25, 0, 30, 0, TimeSpan.Zero);
        await Wait.UntilAsync(() => host.Scheduler.NextFireAt("night") == fallBack, "the first 02:30 to be planned");
        clock.Advance(fallBack.AddSeconds(1) - clock.GetUtcNow());
        await host.ClaimedAsync("night", fallBack);
        await host.UntilAsync(() => host.Scheduler.NextFireAt("night") == new DateTimeOffset(2026, 10, 26, 1, 30, 0, TimeSpan.Zero), "the repeated 02:30 (01:30 UTC) to be skipped for the next night");
    }

    [Fact]
    public void Schedules_SixFieldsAreSeconds_MacrosWork_AndBadOnesAreRefusedClearly()
    {
        var now = Start;
        Assert.Equal(Start.AddSeconds(15), CronSchedule.Parse("*/15 * * * * *", "UTC", now).Next(now));
        Assert.Equal(Start.AddDays(1), CronSchedule.Parse("@daily", "UTC", now).Next(now));
        Assert.Contains("never fires", Assert.Throws<FormatException>(() => CronSchedule.Parse("0 0 30 2 *", "UTC", now)).Message, StringComparison.Ordinal);
        Assert.Contains("not valid", Assert.Throws<FormatException>(() => CronSchedule.Parse("61 * * * *", "UTC", now)).Message, StringComparison.Ordinal);
        Assert.Contains("not known", Assert.Throws<FormatException>(() => CronSchedule.Parse("0 * * * *", "Mars/Olympus", now)).Message, StringComparison.Ordinal);
    }
}
