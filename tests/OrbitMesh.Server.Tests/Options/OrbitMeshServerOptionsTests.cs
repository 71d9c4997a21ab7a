using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Server.Tests.Options;

/// <summary>AddOrbitMesh/MapOrbitMesh configuration: invalid settings fail the host with every error listed.</summary>
public sealed class OrbitMeshServerOptionsTests
{
    private const string Token = "a-valid-agent-token";

    [Fact]
    public async Task StartAsync_NoSharedAgentToken_Starts_AgentsMustEnroll()
    {
        // Shared tokens are an opt-in for development; without them agents enroll and prove their key.
        await using var app = OrbitMeshHost.Build(_ => { });
        app.MapOrbitMesh();

        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public async Task StartAsync_RenewalWindowNotShorterThanLifetime_Fails()
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.Security.CertificateLifetime = TimeSpan.FromDays(1);
            o.Security.CertificateRenewalWindow = TimeSpan.FromDays(1);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Security.CertificateRenewalWindow must be shorter than Security.CertificateLifetime", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 3600, "Security.AccessTokenLifetime (00:00:10) must be between 30 seconds and 1 day.")]
    [InlineData(90000, 900000, "Security.AccessTokenLifetime (1.01:00:00) must be between 30 seconds and 1 day.")]
    [InlineData(600, 600, "Security.RefreshTokenLifetime (00:10:00) must be longer than Security.AccessTokenLifetime (00:10:00).")]
    public async Task StartAsync_TokenLifetimesOutOfRange_Fail(int accessSeconds, int refreshSeconds, string expected)
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.Security.AccessTokenLifetime = TimeSpan.FromSeconds(accessSeconds);
            o.Security.RefreshTokenLifetime = TimeSpan.FromSeconds(refreshSeconds);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SeveralInvalidSettings_ListsEveryError()
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.ApiKey = "short";
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(10);
            o.KeepAliveInterval = TimeSpan.FromSeconds(20);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(30);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("ApiKey must be at least 8 characters", error.Message, StringComparison.Ordinal);
        Assert.Contains("HeartbeatInterval must be between 50 ms and 1 h", error.Message, StringComparison.Ordinal);
        Assert.Contains("ClientTimeoutInterval (00:00:30) must be at least twice KeepAliveInterval (00:00:20)", error.Message, StringComparison.Ordinal);
        Assert.True(error.Failures.Count() >= 3, "every error is listed separately: " + string.Join(" | ", error.Failures));
    }

    [Theory]
    [InlineData("00:00:00.049")]
    [InlineData("01:00:00.001")]
    public async Task StartAsync_HeartbeatIntervalOutOfRange_Fails(string interval)
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.HeartbeatInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("HeartbeatInterval must be between 50 ms and 1 h", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ClientTimeoutBelowTwiceKeepAlive_Fails()
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.KeepAliveInterval = TimeSpan.FromSeconds(10);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(19);
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("must be at least twice KeepAliveInterval", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1000, false)]
    [InlineData(1001, true)]
    public async Task StartAsync_ClientTimeoutMustBeLongerThanTheHeartbeat(int clientTimeoutMs, bool starts)
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.HeartbeatInterval = TimeSpan.FromSeconds(1);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(clientTimeoutMs);
        });

        var error = await Record.ExceptionAsync(() => app.StartAsync());

        if (starts)
        {
            Assert.Null(error);
            await app.StopAsync();
        }
        else
        {
            Assert.Contains("must be longer than HeartbeatInterval (00:00:01)", Assert.IsType<OptionsValidationException>(error).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StartAsync_ShortApiKey_Fails()
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.ApiKey = "1234567";
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("ApiKey must be at least 8 characters long.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ShortAgentToken_Fails()
    {
        await using var app = OrbitMeshHost.Build(o => o.AgentTokens.Add("short"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Every agent token must be at least 8 characters long.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ValidSettings_Starts()
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.ApiKey = "12345678";
            o.KeepAliveInterval = TimeSpan.FromSeconds(10);
            o.ClientTimeoutInterval = TimeSpan.FromSeconds(20);
        });
        app.MapOrbitMesh();

        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public async Task MapOrbitMesh_InvalidSettings_FailsWithTheSameListOfErrors()
    {
        // MapOrbitMesh reads HubPath, so an app that maps the endpoints learns about bad settings there,
        // before StartAsync, with the same message.
        await using var app = OrbitMeshHost.Build(o => o.ApiKey = "short");

        var error = Assert.Throws<OptionsValidationException>(() => app.MapOrbitMesh());

        Assert.Contains("ApiKey must be at least 8 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MapOrbitMesh_WithoutAddOrbitMesh_ThrowsCallAddOrbitMeshFirst()
    {
        var builder = OrbitMeshHost.CreateBuilder();
        builder.Services.AddRouting();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapOrbitMesh());

        Assert.Contains("call services.AddOrbitMesh() before app.MapOrbitMesh()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddOrbitMesh_CalledTwice_AppliesBothConfigurationsAndRegistersOnce()
    {
        var builder = OrbitMeshHost.CreateBuilder();
        builder.Services.AddOrbitMesh(o => o.AgentTokens.Add(Token));
        builder.Services.AddOrbitMesh(o => o.MissedHeartbeatsAllowed = 7);
        await using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<OrbitMeshServerOptions>>().Value;
        Assert.Equal([Token], options.AgentTokens);
        Assert.Equal(7, options.MissedHeartbeatsAllowed);
        Assert.Single(app.Services.GetServices<IValidateOptions<OrbitMeshServerOptions>>().OfType<OrbitMeshServerOptionsValidator>());
    }

    [Fact]
    public async Task MapOrbitMesh_CustomHubPath_MapsTheHubThereOnly()
    {
        await using var server = await TestMeshServer.StartAsync(o => o.HubPath = "/fleet/hub");

        await using var agent = await RawAgent.ConnectAsync(server, b => b.WithUrl(new Uri(server.Url, "/fleet/hub")));
        var result = await agent.RegisterAsync(Registrations.Valid("relocated"));
        await using var lost = new HubConnectionBuilder().WithMeshHub(server.HubUrl, TestMeshServer.AgentToken).Build();
        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => Wait.ForAsync(lost.StartMeshAsync(), "the connect to the default path to fail"));

        Assert.Equal("relocated", result.AgentId);
        Assert.Equal("not_found", error.Code);
    }

    [Theory]
    [InlineData("mesh")]
    [InlineData("/me sh")]
    public async Task StartAsync_InvalidHubPath_Fails(string path)
    {
        await using var app = OrbitMeshHost.Build(o =>
        {
            o.AgentTokens.Add(Token);
            o.HubPath = path;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("HubPath must start with '/'", error.Message, StringComparison.Ordinal);
    }
}
