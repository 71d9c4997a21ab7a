using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Agent.Security;
using OrbitMesh.Grid.Links;

namespace OrbitMesh.Grid;

/// <summary>
/// A star's data endpoint: a small Kestrel server speaking HTTP/2 that receives ranges pushed by other stars
/// over direct links, each with a one-time link token the server issued, written through the star's path
/// allow-list and checked by digest. It also pushes this star's files to other stars' endpoints. Start it
/// with <see cref="StartAsync"/>, then give it to <c>AddGridLinks</c> so the server can drive it.
/// </summary>
public sealed class GridDataEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GridDataEndpoint(WebApplication app, LocalSystem system, Uri address, Uri advertised, string nodeId, GridLinkExpectations expectations, GridLinkPusher pusher)
    {
        _app = app;
        System = system;
        Address = address;
        AdvertisedAddress = advertised;
        NodeId = nodeId;
        Expectations = expectations;
        Pusher = pusher;
    }

    /// <summary>The address the endpoint is bound to.</summary>
    public Uri Address { get; }

    /// <summary>The address other stars are told to push to.</summary>
    public Uri AdvertisedAddress { get; }

    /// <summary>The star's node id.</summary>
    public string NodeId { get; }

    internal LocalSystem System { get; }

    internal GridLinkExpectations Expectations { get; }

    internal GridLinkPusher Pusher { get; }

    /// <summary>Starts the endpoint for a star jailed to <paramref name="allowList"/>.</summary>
    public static async Task<GridDataEndpoint> StartAsync(GridDataOptions options, PathAllowList allowList, ILoggerFactory? loggerFactory = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(allowList);
        ArgumentException.ThrowIfNullOrEmpty(options.NodeId);
        if (!Uri.TryCreate(options.Address, UriKind.Absolute, out var bind) || bind.Scheme != "http" || !IPAddress.TryParse(bind.Host.Trim('[', ']'), out var ip))
        {
            throw new ArgumentException($"The data address must be http://IP:PORT, not '{options.Address}' (TLS is not supported yet).", nameof(options));
        }

        loggerFactory ??= NullLoggerFactory.Instance;
        var system = new LocalSystem(allowList);
        var expectations = new GridLinkExpectations(time ?? TimeProvider.System);
        var receiver = new GridLinkReceiver(system, expectations, options.NodeId, loggerFactory.CreateLogger<GridDataEndpoint>());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 64 * 1024, gracePeriod: TimeSpan.FromSeconds(10));
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 * 1024 * 1024;
            kestrel.Limits.Http2.MaxFrameSize = 1024 * 1024 - 1;
            kestrel.Listen(ip, bind.Port, listen => listen.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapPost(GridLinkProtocol.PushRoute, (Microsoft.AspNetCore.Http.HttpContext context, string jobId) => receiver.HandleAsync(context, jobId));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var pusher = new GridLinkPusher(system, loggerFactory.CreateLogger<GridDataEndpoint>());
        return new GridDataEndpoint(app, system, bound, options.AdvertisedAddress ?? bound, options.NodeId, expectations, pusher);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Pusher.Dispose();
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
