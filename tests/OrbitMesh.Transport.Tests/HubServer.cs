using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport.Tests;

/// <summary>A plain ASP.NET Core SignalR server (no OrbitMesh) with the test hubs, on 127.0.0.1.</summary>
public sealed class HubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public HubRecorder Recorder => _app.Services.GetRequiredService<HubRecorder>();

    public IHubContext<TestHub> TestHubContext => _app.Services.GetRequiredService<IHubContext<TestHub>>();

    public static async Task<HubServer> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<HubRecorder>();
        builder.Services.AddSignalR(o =>
        {
            o.EnableDetailedErrors = true;
            o.MaximumParallelInvocationsPerClient = 4;
            o.MaximumReceiveMessageSize = 1024 * 1024;
        })
        .AddHubOptions<SilentHub>(o => o.KeepAliveInterval = TimeSpan.FromMinutes(10));

        var app = builder.Build();
        app.MapHub<TestHub>("/test");
        app.MapHub<SilentHub>("/silent");
        app.MapHub<FailingHub>("/failing");
        // Refusals answer the negotiate request and the WebSocket upgrade alike.
        app.Map("/secured/{**rest}", (HttpContext context) =>
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\", error_description=\"The token is not known\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        });
        app.Map("/busy/{**rest}", (HttpContext context) =>
        {
            context.Response.Headers.RetryAfter = "7";
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        });
        app.UseWebSockets();
        app.MapPingCountingEndpoint("/pings");

        await app.StartAsync();
        return new HubServer(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
