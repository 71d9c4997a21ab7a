using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests;

public sealed class Scratch
{
    [Fact]
    public async Task Probe()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(600);
            o.HeartbeatInterval = TimeSpan.FromSeconds(10);
            o.RegistrationTimeout = TimeSpan.FromSeconds(30);
        });
        await using var raw = await RawHubSocket.ConnectAsync(server);
        await using var reg = await RawHubSocket.ConnectAsync(server);
        await reg.RegisterAsync("silent");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        try { await Wait.ForAsync(Task.WhenAll(raw.Closed, reg.Closed), "closed", TimeSpan.FromSeconds(5)); } catch (TimeoutException) { }
        var logs = string.Join("\n", server.Logs.Entries.Select(e => $"{e.EventId.Id} {e.EventId.Name} {e.Category} {e.Level}: {e.Message} {e.Exception?.GetType().Name}"));
        Assert.Fail($"rawclosed={raw.Closed.IsCompleted} regclosed={reg.Closed.IsCompleted} status={server.Registry.GetAgent("silent")?.Status} elapsed {sw.ElapsedMilliseconds}\nraw:{string.Join(" | ", raw.Received)}\nreg:{string.Join(" | ", reg.Received)}\n{logs}");
    }
}
