using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Transport.Internal;

/// <summary>
/// Connects to the first of several hub URLs that answers (<see cref="MeshConnectionOptions.FailoverUrls"/>). The
/// official client binds a <c>HubConnection</c> to one endpoint for its life and has no list of servers, so this
/// factory stands in for its <see cref="HttpConnectionFactory"/>: each attempt gets the client's fully configured
/// options (every <c>IConfigureOptions</c>, the hub protocol's transfer format included) with only the URL changed,
/// and the client's own factory does the rest. It starts at the URL last reached, so a server that blipped keeps its
/// agents, and moves on to the next on any failure; only when every URL failed does the attempt fail, with the last error.
/// </summary>
internal sealed partial class FailoverConnectionFactory(
    IReadOnlyList<Uri> urls, IOptionsFactory<HttpConnectionOptions> optionsFactory, ILoggerFactory loggerFactory, MeshConnectionOptions mesh) : IConnectionFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<FailoverConnectionFactory>();
    private int _preferred;

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var start = Volatile.Read(ref _preferred);
        for (var i = 0; ; i++)
        {
            var index = (start + i) % urls.Count;
            var url = urls[index];
            var options = optionsFactory.Create(Options.DefaultName);
            options.Url = url;
            mesh.SetCurrentUrl(url);
            try
            {
                var connection = await new HttpConnectionFactory(Options.Create(options), loggerFactory)
                    .ConnectAsync(new UriEndPoint(url), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _preferred, index);
                return connection;
            }
            catch (Exception ex) when (i < urls.Count - 1 && !cancellationToken.IsCancellationRequested)
            {
                LogMovingOn(url, urls[(index + 1) % urls.Count], ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not connect to {Url} ({Reason}); trying {Next}")]
    private partial void LogMovingOn(Uri url, Uri next, string reason);
}
