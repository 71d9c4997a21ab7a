
namespace OrbitMesh.Server.Tests.Cluster;

/// <summary>Two servers on one Redis (a real server, from .ci/run) are one mesh for the communication level and the agent list.</summary>
public sealed class RedisBackplaneTests
{
    private readonly string _prefix = "t-" + Guid.NewGuid().ToString("N")[..10];

    private Task<TestMeshServer> StartAsync(string serverId, Action<OrbitMeshServerOptions>? configure = null) =>
        TestMeshServer.StartAsync(configure, storage: mesh => mesh.UseInMemoryStorage().UseRedisBackplane(TestServers.Redis, o =>
        {
            o.ChannelPrefix = _prefix;
            o.ServerId = serverId;
            o.PresenceInterval = TimeSpan.FromMilliseconds(200);
            o.ServerTimeout = TimeSpan.FromSeconds(2);
        }));

    [Fact]
    public async Task AnAgentOnServerB_IsInvokedAndSentTo_FromServerA_AndListedOnBothWithItsServer()
    {
        await using var a = await StartAsync("server-a");
        await using var b = await StartAsync("server-b");
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = b.NewAgent("far-agent")
            .RegisterHandler("where", _ => "served by b's agent")
            .RegisterHandler("note", ctx => { notified.TrySetResult(ctx.Parameters!.Value.GetProperty("text").GetString()!); return "noted"; })
            .Build();
        await agent.ConnectAsync();

        await Wait.UntilAsync(() => a.Registry.GetAgent("far-agent") is not null, "server A to list the agent on server B");
        var listed = a.Registry.GetAgents().Single(x => x.Id == "far-agent");
        Assert.Equal("server-b", listed.Server);
        Assert.Equal("server-b", b.Registry.GetAgent("far-agent")!.Server);
        Assert.Contains("where", listed.Commands);

        // A client result through the backplane: A asks, B's agent answers.
        Assert.Equal("served by b's agent", await a.Mesh.InvokeAsync<string>("far-agent", "where"));
        await a.Mesh.SendAsync("far-agent", "note", new { text = "from a" });
        Assert.Equal("from a", await Wait.ForAsync(notified.Task, "the notification sent from A to reach the agent on B"));
    }

    [Fact]
    public async Task AStoppedServersAgents_LeaveTheOthersList_AndAnUnknownAgentIsStillRefusedClearly()
    {
        await using var a = await StartAsync("server-a");
        var b = await StartAsync("server-b");
        await using (var agent = b.NewAgent("short-lived").Build())
        {
            await agent.ConnectAsync();
            await Wait.UntilAsync(() => a.Registry.GetAgent("short-lived") is not null, "server A to list the agent on server B");
            await b.DisposeAsync();
        }

        await Wait.UntilAsync(() => a.Registry.GetAgent("short-lived") is null, "the stopped server's agent to leave A's list");
        var refusal = await Assert.ThrowsAsync<MeshInvocationException>(() => a.Mesh.InvokeAsync<string>("short-lived", "anything"));
        Assert.Equal(MeshErrorCodes.NoAgent, refusal.Error.Code);
    }

    [Fact]
    public async Task AServerCutOffFromRedis_IsNotReady_SaysWhy_AndRecoversWhenRedisIsBack()
    {
        var redis = TestServers.Redis.Split(':');
        await using var proxy = new TcpProxy(new Uri($"tcp://{redis[0]}:{redis[1]}"));
        await using var server = await TestMeshServer.StartAsync(storage: mesh => mesh.UseInMemoryStorage().UseRedisBackplane($"127.0.0.1:{proxy.Url.Port}", o =>
        {
            o.ChannelPrefix = _prefix;
            o.PresenceInterval = TimeSpan.FromMilliseconds(200);
            o.ServerTimeout = TimeSpan.FromSeconds(2);
        }));
        using var http = new HttpClient { BaseAddress = server.Url };
        async Task<(bool Ready, string Body)> ReadyAsync()
        {
            using var response = await http.GetAsync("/health/ready");
            return (response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        await Wait.UntilAsync(async () => (await ReadyAsync()).Ready, "the server to be ready on Redis");

        proxy.Blocked = true;
        proxy.CutAll();
        await Wait.UntilAsync(async () => !(await ReadyAsync()).Ready, "the cut-off server to report not-ready");
        Assert.True(server.Logs.Contains(2301), "the server logs that Redis cannot be reached");
        var check = await server.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>().CheckHealthAsync();
        Assert.Contains("Redis cannot be reached", check.Entries["orbitmesh-cluster"].Description, StringComparison.Ordinal);

        proxy.Blocked = false;
        await Wait.UntilAsync(async () => (await ReadyAsync()).Ready, "the server to be ready again once Redis is back", TimeSpan.FromSeconds(45));
    }

    [Fact]
    public void BadSettings_AreRefusedAtStart()
    {
        var services = new ServiceCollection();
        var error = Assert.Throws<OrbitMeshException>(() => services.AddOrbitMesh().UseRedisBackplane("127.0.0.1:1", o => o.ChannelPrefix = "has spaces"));
        var timing = Assert.Throws<OrbitMeshException>(() => services.AddOrbitMesh().UseRedisBackplane("127.0.0.1:1", o => o.ServerTimeout = o.PresenceInterval));

        Assert.Contains("channel prefix", error.Message, StringComparison.Ordinal);
        Assert.Contains("ServerTimeout", timing.Message, StringComparison.Ordinal);
    }
}
