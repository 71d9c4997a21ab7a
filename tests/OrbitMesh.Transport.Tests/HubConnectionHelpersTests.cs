namespace OrbitMesh.Transport.Tests;

public sealed class HubConnectionHelpersTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080/mesh", "ws://127.0.0.1:5080/mesh")]
    [InlineData("https://mesh.example.com/mesh", "wss://mesh.example.com/mesh")]
    [InlineData("http://host/mesh?x=1", "ws://host/mesh?x=1")]
    [InlineData("ws://host:81/hub", "ws://host:81/hub")]
    public void ToWebSocketUri_MapsTheScheme(string input, string expected)
    {
        Assert.Equal(new Uri(expected), HubConnection.ToWebSocketUri(new Uri(input)));
    }

    [Fact]
    public void ParseRetryAfter_ReadsSecondsAndDates()
    {
        var time = new ManualTimeProvider();
        Assert.Equal(TimeSpan.FromSeconds(3), HubConnection.ParseRetryAfter("3", time));
        Assert.Equal(TimeSpan.FromSeconds(1.5), HubConnection.ParseRetryAfter("1.5", time));
        Assert.Equal(TimeSpan.FromSeconds(30), HubConnection.ParseRetryAfter(time.GetUtcNow().AddSeconds(30).ToString("R"), time));
        Assert.Null(HubConnection.ParseRetryAfter("soon", time));
        Assert.Null(HubConnection.ParseRetryAfter(null, time));
    }

    [Fact]
    public void Options_RejectABadUrl()
    {
        Assert.Throws<InvalidOperationException>(() => new HubConnectionBuilder().WithUrl("ftp://host/hub").Build());
        Assert.Throws<InvalidOperationException>(() => new HubConnectionBuilder().Build());
    }

    [Fact]
    public void Builder_BuildsOnce()
    {
        var builder = new HubConnectionBuilder().WithUrl("http://127.0.0.1:1/hub");
        _ = builder.Build();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void GrowableBuffer_AppendsConsumesAndGrows()
    {
        var buffer = new GrowableBuffer(4);
        buffer.Append([1, 2, 3]);
        buffer.Consume(2);
        buffer.Append([4, 5, 6, 7, 8]);
        Assert.Equal(new byte[] { 3, 4, 5, 6, 7, 8 }, buffer.Written.ToArray());
        buffer.Consume(6);
        Assert.Equal(0, buffer.Length);
    }
}
