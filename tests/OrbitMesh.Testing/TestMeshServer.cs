using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrbitMesh.Agent;
using OrbitMesh.Server;
using OrbitMesh.Server.Agents;

namespace OrbitMesh.Testing;

/// <summary>
/// A real OrbitMesh server (Kestrel on 127.0.0.1, a free port) in the test process, with captured logs.
/// </summary>
public sealed class TestMeshServer : IAsyncDisposable
{
    /// <summary>The agent token every test server accepts.</summary>
    public const string AgentToken = "test-agent-token-0001";

    private readonly WebApplication _app;

    private TestMeshServer(WebApplication app, CapturedLogs logs, int port, string scheme)
    {
        _app = app;
        Logs = logs;
        Port = port;
        Url = new Uri($"{scheme}://127.0.0.1:{port}/");
    }

    public Uri Url { get; }

    public Uri HubUrl => new(Url, "/mesh");

    public int Port { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public IAgentRegistry Registry => Services.GetRequiredService<IAgentRegistry>();

    public IMeshClient Mesh => Services.GetRequiredService<IMeshClient>();

    /// <summary>
    /// Starts a server. <paramref name="port"/> 0 picks a free one. With <paramref name="certificate"/> it
    /// listens over https, asking for client certificates as <paramref name="clientCertificates"/> says
    /// (any one is accepted at the TLS layer).
    /// </summary>
    public static async Task<TestMeshServer> StartAsync(
        Action<OrbitMeshServerOptions>? configure = null,
        int port = 0,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? mapExtra = null,
        Action<OrbitMesh.Hosting.IOrbitMeshServerBuilder>? storage = null,
        X509Certificate2? certificate = null,
        ClientCertificateMode clientCertificates = ClientCertificateMode.NoCertificate)
    {
        var logs = new CapturedLogs();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        var scheme = certificate is null ? "http" : "https";
        builder.WebHost.UseUrls($"{scheme}://127.0.0.1:{port}");
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            {
                https.ServerCertificate = certificate;
                https.ClientCertificateMode = clientCertificates;
                https.ClientCertificateValidation = (_, _, _) => true;
            }));
        }

        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        var mesh = builder.Services.AddOrbitMesh(o =>
        {
            o.AgentTokens.Add(AgentToken);

            // Tests call the API without credentials from 127.0.0.1; a test turns this off to test authentication.
            o.Security.AllowAnonymousLoopbackApi = true;
            configure?.Invoke(o);
        });
        if (storage is null)
        {
            mesh.UseInMemoryStorage();
        }
        else
        {
            storage(mesh);
        }
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapOrbitMesh();
        mapExtra?.Invoke(app);
        await app.StartAsync().ConfigureAwait(false);
        var actualPort = new Uri(app.Urls.First()).Port;
        return new TestMeshServer(app, logs, actualPort, scheme);
    }

    /// <summary>An agent builder aimed at this server with the test token and a short heartbeat-friendly setup.</summary>
    public MeshAgentBuilder NewAgent(string id) => new MeshAgentBuilder()
        .WithServer(Url)
        .WithToken(AgentToken)
        .WithId(id)
        .Configure(o =>
        {
            o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(50);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(500);
        });

    /// <summary>Waits until the agent is listed with the given status.</summary>
    public Task WaitForAgentAsync(string agentId, AgentStatus status, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Registry.GetAgent(agentId)?.Status == status, $"agent '{agentId}' is {status}", timeout);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
