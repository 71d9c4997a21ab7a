using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Transport.Tests;

public sealed class MeshConnectFailureTests
{
    [Fact]
    public void ParseRetryAfter_ReadsSecondsAndDates()
    {
        var time = new ManualTimeProvider();
        Assert.Equal(TimeSpan.FromSeconds(3), MeshConnectFailure.ParseRetryAfter("3", time));
        Assert.Equal(TimeSpan.FromSeconds(1.5), MeshConnectFailure.ParseRetryAfter("1.5", time));
        Assert.Equal(TimeSpan.FromSeconds(30), MeshConnectFailure.ParseRetryAfter(time.GetUtcNow().AddSeconds(30).ToString("R"), time));
        Assert.Null(MeshConnectFailure.ParseRetryAfter("soon", time));
        Assert.Null(MeshConnectFailure.ParseRetryAfter(null, time));
    }

    [Fact]
    public void Translate_PrefersTheCredentialRefusalAmongTheTransportsFailures()
    {
        var busy = new MeshConnectionException("server_busy", "busy", null, isRetryable: true, TimeSpan.FromSeconds(2));
        var refused = new MeshAuthenticationException("who are you");
        var aggregate = new AggregateException("Unable to connect to the server with any of the available transports.",
            new InvalidOperationException("WebSockets failed", busy), new InvalidOperationException("SSE failed", refused));

        Assert.Same(refused, MeshConnectFailure.Translate(aggregate));
        Assert.Equal(TimeSpan.FromSeconds(2), MeshConnectFailure.RetryAfterOf(aggregate));
    }

    [Fact]
    public void Translate_AStatusCodeOrANetworkErrorBecomesAConnectionError()
    {
        var status = MeshConnectFailure.Translate(new HttpRequestException("nope", null, HttpStatusCode.Forbidden));
        Assert.IsType<MeshAuthenticationException>(status);
        Assert.Equal(403, ((MeshAuthenticationException)status).StatusCode);

        var network = MeshConnectFailure.Translate(new HttpRequestException("down", new SocketException((int)SocketError.ConnectionRefused)));
        Assert.True(network.IsRetryable);
        Assert.Equal("connection_failed", network.Code);
        Assert.Null(MeshConnectFailure.RetryAfterOf(network));
    }

    [Fact]
    public void Options_RejectABadUrlAndImpossibleCombinations()
    {
        Assert.Throws<ArgumentException>(() => new HubConnectionBuilder().WithMeshHub(new Uri("ftp://host/hub")));
        Assert.Throws<InvalidOperationException>(() => new HubConnectionBuilder().WithMeshHub(new Uri("http://host/hub"), o => o.SkipNegotiation = true));
        Assert.Throws<InvalidOperationException>(() => new HubConnectionBuilder().WithMeshHub(new Uri("http://host/hub"), o =>
        {
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.StatefulReconnect = true;
        }));
        Assert.Throws<InvalidOperationException>(() => new HubConnectionBuilder().WithMeshHub(new Uri("http://host/hub"), o => o.Transports = HttpTransportType.None));
    }
}
