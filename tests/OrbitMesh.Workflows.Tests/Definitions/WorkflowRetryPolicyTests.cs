namespace OrbitMesh.Workflows.Tests.Definitions;

public sealed class WorkflowRetryPolicyTests
{
    private static readonly WorkflowRetryPolicy Exact = new()
    {
        MaxAttempts = 10,
        InitialBackoff = TimeSpan.FromSeconds(10),
        MaxBackoff = TimeSpan.FromSeconds(60),
        Jitter = false,
    };

    [Theory]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(4, 40)]
    [InlineData(5, 60)]
    [InlineData(100, 60)]
    public void GetBackoff_DoublesUpToTheCap(int nextAttempt, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Exact.GetBackoff(nextAttempt, 0.7));
    }

    [Fact]
    public void GetBackoff_WithJitter_IsBetweenHalfAndAllOfTheDelay()
    {
        var policy = Exact with { Jitter = true };

        Assert.Equal(TimeSpan.FromSeconds(10), policy.GetBackoff(3, 0.0));
        Assert.Equal(TimeSpan.FromSeconds(15), policy.GetBackoff(3, 0.5));
        Assert.True(policy.GetBackoff(3, 0.999999) < TimeSpan.FromSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.GetBackoff(10, 0.0));
    }

    [Fact]
    public void GetBackoff_ZeroInitial_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, (Exact with { InitialBackoff = TimeSpan.Zero }).GetBackoff(7, 0.3));
    }

    [Fact]
    public void GetBackoff_OutOfRangeArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Exact.GetBackoff(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Exact.GetBackoff(2, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Exact.GetBackoff(2, -0.1));
    }

    [Fact]
    public void Defaults_AreOneAttemptWithJitter()
    {
        var policy = new WorkflowRetryPolicy();

        Assert.Equal(1, policy.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(1), policy.InitialBackoff);
        Assert.Equal(TimeSpan.FromMinutes(5), policy.MaxBackoff);
        Assert.True(policy.Jitter);
        Assert.Equal(1, WorkflowRetryPolicy.None.MaxAttempts);
    }
}
