using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrbitMesh.Transport.Internal;

namespace OrbitMesh.Transport;

/// <summary>Points the official SignalR client (<see cref="HubConnectionBuilder"/>) at an OrbitMesh hub.</summary>
public static class MeshHubConnectionBuilderExtensions
{
    /// <summary>
    /// Connects to the OrbitMesh hub at <paramref name="url"/>: OrbitMesh's JSON or MessagePack encoding
    /// (<see cref="MeshConnectionOptions.HubProtocol"/>), and
    /// what the official client lacks (see <see cref="MeshConnectionOptions"/>): a refused connect fails with
    /// <see cref="MeshAuthenticationException"/> (401, 403) or <see cref="MeshConnectionException"/> carrying the
    /// server's reason and <c>Retry-After</c> instead of a bare status code, and TLS refusals say why.
    /// </summary>
    public static IHubConnectionBuilder WithMeshHub(this IHubConnectionBuilder builder, Uri url, Action<MeshConnectionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(url);
        if (url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"The hub URL '{url}' must use http or https.", nameof(url));
        }

        var mesh = new MeshConnectionOptions();
        configure?.Invoke(mesh);
        mesh.Validate();
        mesh.SetCurrentUrl(url);
        builder.WithUrl(url, mesh.Transports, http =>
        {
            http.SkipNegotiation = mesh.SkipNegotiation;
            http.AccessTokenProvider = mesh.AccessTokenProvider;
            MeshTransport.Install(http, mesh);
            mesh.ConfigureHttpConnection?.Invoke(http);
        });
        if (mesh.FailoverUrls.Count > 0)
        {
            if (mesh.FailoverUrls.FirstOrDefault(u => u.Scheme is not ("http" or "https")) is { } bad)
            {
                throw new ArgumentException($"The failover hub URL '{bad}' must use http or https.", nameof(configure));
            }

            Uri[] urls = [url, .. mesh.FailoverUrls];
            builder.Services.AddSingleton<IConnectionFactory>(services => new FailoverConnectionFactory(
                urls, services.GetRequiredService<IOptionsFactory<HttpConnectionOptions>>(), services.GetRequiredService<ILoggerFactory>(), mesh));
        }

        if (mesh.StatefulReconnect)
        {
            builder.WithStatefulReconnect();
        }

        // The client uses the protocol registered last; JSON is always there (HubConnectionBuilder adds it).
        builder.AddJsonProtocol(o => OrbitMeshJson.Configure(o.PayloadSerializerOptions));
        if (mesh.HubProtocol == MeshHubProtocol.MessagePack)
        {
            builder.AddOrbitMeshMessagePackProtocol();
        }

        return builder;
    }

    /// <summary>Connects to the OrbitMesh hub at <paramref name="url"/> with a fixed bearer token.</summary>
    public static IHubConnectionBuilder WithMeshHub(this IHubConnectionBuilder builder, Uri url, string? token, Action<MeshConnectionOptions>? configure = null) =>
        builder.WithMeshHub(url, o =>
        {
            if (token is { Length: > 0 })
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            }

            configure?.Invoke(o);
        });

    /// <summary>
    /// Starts the connection; a failure is thrown as the <see cref="MeshConnectionException"/> that says why
    /// (see <see cref="MeshConnectFailure.Translate"/>), not as the client's transport-by-transport aggregate.
    /// </summary>
    public static async Task StartMeshAsync(this HubConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw MeshConnectFailure.Translate(ex);
        }
    }
}
