using System.Net;
using Microsoft.Extensions.Hosting;
using OrbitMesh.Server.Hosting;

namespace OrbitMesh.Server.Tests.Health;

/// <summary>/health/live and /health/ready over real HTTP.</summary>
public sealed class OrbitMeshReadinessCheckTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Live_Running_Is200()
    {
        using var response = await _http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ready_MonitorRunning_Is200()
    {
        // Since .NET 10 a BackgroundService's ExecuteAsync starts on a thread-pool thread, shortly after the host started.
        var monitor = _server.Services.GetRequiredService<AgentMonitorService>();
        await Wait.UntilAsync(() => monitor.IsRunning, "the liveness monitor runs");

        using var response = await _http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Ready_OnceStopping_Is503AndLiveStays200()
    {
        _server.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        using var ready = await _http.GetAsync("/health/ready");
        using var live = await _http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Ready_MonitorStopped_Is503AndLiveStays200()
    {
        var monitor = _server.Services.GetRequiredService<AgentMonitorService>();
        await Wait.UntilAsync(() => monitor.IsRunning, "the liveness monitor runs");

        await monitor.StopAsync(CancellationToken.None);

        Assert.False(monitor.IsRunning);
        using var ready = await _http.GetAsync("/health/ready");
        using var live = await _http.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Health_NeedsNoAgentToken()
    {
        var monitor = _server.Services.GetRequiredService<AgentMonitorService>();
        await Wait.UntilAsync(() => monitor.IsRunning, "the liveness monitor runs");

        using var response = await _http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(_server.Logs.Contains(2040));
    }
}
