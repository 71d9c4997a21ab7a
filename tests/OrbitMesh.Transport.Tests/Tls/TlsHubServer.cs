using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport.Tests.Tls;

/// <summary>A SignalR server with the test hub at /test over https on 127.0.0.1, recording the client certificates it sees.</summary>
public sealed class TlsHubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsHubServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The client certificate (subject) of each request to /test, or "none".</summary>
    public ConcurrentQueue<string> ClientCertificates { get; } = new();

    public Uri Url(string path = "/test") => new($"https://127.0.0.1:{Port}{path}");

    public static async Task<TlsHubServer> StartAsync(X509Certificate2 certificate, ClientCertificateMode clientCertificates = ClientCertificateMode.NoCertificate)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            https.ClientCertificateMode = clientCertificates;
            https.ClientCertificateValidation = (_, _, _) => true;
        })));
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(1));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<HubRecorder>();
        builder.Services.AddSignalR();
        var app = builder.Build();
        TlsHubServer? server = null;
        app.Use((context, next) =>
        {
            server!.ClientCertificates.Enqueue(context.Connection.ClientCertificate?.Subject ?? "none");
            return next(context);
        });
        app.MapHub<TestHub>("/test");
        app.MapGet("/hello", () => "hello");
        await app.StartAsync();
        server = new TlsHubServer(app, new Uri(app.Urls.First()).Port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
