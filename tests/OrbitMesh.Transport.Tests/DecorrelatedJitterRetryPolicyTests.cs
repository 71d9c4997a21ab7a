using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Transport.Tests;

public sealed class DecorrelatedJitterRetryPolicyTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    [Fact]
    public void FirstDelay_IsBetweenZeroAndTheBaseDelay()
    {
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap);
        for (var i = 0; i < 1000; i++)
        {
            var delay = policy.NextDelay(0, TimeSpan.Zero, null, null)!.Value;
            Assert.InRange(delay, TimeSpan.Zero, Base);
        }
    }

    [Fact]
    public void LaterDelays_StayBetweenBaseAndThreeTimesThePreviousAndUnderTheCap()
    {
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap);
        TimeSpan? previous = null;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var delay = policy.NextDelay(attempt, TimeSpan.Zero, previous, null)!.Value;
            if (attempt > 0)
            {
                var upper = TimeSpan.FromTicks(Math.Min(Cap.Ticks, Math.Max(Base.Ticks, previous!.Value.Ticks * 3)));
                Assert.InRange(delay, Base, upper);
            }

            Assert.True(delay <= Cap);
            previous = delay;
        }
    }

    [Fact]
    public void Delays_GrowTowardsTheCap()
    {
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap, random: () => 0.99);
        TimeSpan? previous = null;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            previous = policy.NextDelay(attempt, TimeSpan.Zero, previous, null);
        }

        Assert.Equal(Cap, previous);
    }

    [Fact]
    public void Delays_AreSpreadOut_NotSynchronised()
    {
        // A fleet that lost its server at once must not come back at once.
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap);
        var firstDelays = Enumerable.Range(0, 1000)
            .Select(_ => policy.NextDelay(0, TimeSpan.Zero, null, null)!.Value.TotalMilliseconds)
            .ToList();
        var buckets = firstDelays.GroupBy(ms => (int)(ms / 10)).Count();
        Assert.True(buckets >= 9, $"first delays fell into only {buckets} of 10 buckets of 10 ms");
    }

    [Fact]
    public void RetryAfter_IsHonouredOnTopOfTheJitter()
    {
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap);
        for (var i = 0; i < 100; i++)
        {
            var delay = policy.NextDelay(0, TimeSpan.Zero, null, TimeSpan.FromSeconds(2))!.Value;
            Assert.InRange(delay, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) + Base);
        }
    }

    [Fact]
    public void MaxElapsed_GivesUp()
    {
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap, maxElapsed: TimeSpan.FromSeconds(10));
        Assert.NotNull(policy.NextRetryDelay(new RetryContext { ElapsedTime = TimeSpan.FromSeconds(9) }));
        Assert.Null(policy.NextRetryDelay(new RetryContext { ElapsedTime = TimeSpan.FromSeconds(10) }));
        Assert.Null(policy.NextDelay(3, TimeSpan.FromSeconds(11), Base, null));
    }

    [Fact]
    public void OfficialContext_TheRetryAfterOfTheLastFailureAndThePreviousDelayAreUsed()
    {
        // The official client's context carries neither: the policy remembers its last delay and reads the
        // server's Retry-After from the failure of the previous attempt.
        var policy = new DecorrelatedJitterRetryPolicy(Base, Cap, random: () => 0.99);
        var first = policy.NextRetryDelay(new RetryContext { PreviousRetryCount = 0 })!.Value;
        var second = policy.NextRetryDelay(new RetryContext { PreviousRetryCount = 1 })!.Value;
        Assert.InRange(second, Base, TimeSpan.FromTicks(Math.Max(Base.Ticks, first.Ticks * 3)));
        Assert.True(second > first);

        var busy = new AggregateException(new MeshConnectionException("server_busy", "busy", null, isRetryable: true, TimeSpan.FromSeconds(3)));
        var waited = policy.NextRetryDelay(new RetryContext { PreviousRetryCount = 2, RetryReason = busy })!.Value;
        Assert.InRange(waited, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3) + Base);

        // A new reconnect sequence starts from the base delay again.
        Assert.InRange(policy.NextRetryDelay(new RetryContext { PreviousRetryCount = 0 })!.Value, TimeSpan.Zero, Base);
    }

    [Fact]
    public void Constructor_RejectsNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecorrelatedJitterRetryPolicy(TimeSpan.Zero, Cap));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecorrelatedJitterRetryPolicy(Cap, Base));
    }
}
