using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace OrbitMesh.Transport.Internal;

/// <summary>
/// Installs OrbitMesh's handler for the client's HTTP requests (negotiate, server-sent events, long polling)
/// and its WebSocket factory. Both exist because the official client reports a refused connect as a bare
/// status code (HTTP) or "the server returned status code 503 when status code 101 was expected" (WebSocket):
/// the server's reason and its <c>Retry-After</c> are lost, and a certificate refusal says only that TLS failed.
/// </summary>
internal static class MeshTransport
{
    public static void Install(HttpConnectionOptions http, MeshConnectionOptions mesh)
    {
        // The client hands its own HttpClientHandler; it is replaced by a SocketsHttpHandler, whose TLS options
        // take a certificate selection callback (the node certificate may be renewed between connects).
        http.HttpMessageHandlerFactory = _ => new RefusalHandler(CreateHandler(http, mesh), mesh, http);
        http.WebSocketFactory = (context, cancellationToken) => ConnectWebSocketAsync(context, mesh, cancellationToken);
    }

    private static SocketsHttpHandler CreateHandler(HttpConnectionOptions http, MeshConnectionOptions mesh)
    {
        var handler = new SocketsHttpHandler
        {
            // The negotiate request and the long-polling requests are short; the pool may keep them warm.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (http.Cookies is { } cookies)
        {
            handler.CookieContainer = cookies;
        }

        if (http.Proxy is { } proxy)
        {
            handler.Proxy = proxy;
        }

        if (http.Credentials is { } credentials)
        {
            handler.Credentials = credentials;
        }
        else if (http.UseDefaultCredentials == true)
        {
            handler.Credentials = System.Net.CredentialCache.DefaultCredentials;
        }

        handler.SslOptions.RemoteCertificateValidationCallback = CertificateCheck.Recording(mesh.ServerCertificateValidation);
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => CurrentCertificate(mesh, http);
        return handler;
    }

    private static X509Certificate? CurrentCertificate(MeshConnectionOptions mesh, HttpConnectionOptions http)
    {
        lock (mesh.ClientCertificates)
        {
            foreach (var certificate in mesh.ClientCertificates.Cast<X509Certificate>().Concat(http.ClientCertificates?.Cast<X509Certificate>() ?? []))
            {
                if (certificate is X509Certificate2 { HasPrivateKey: true })
                {
                    return certificate;
                }
            }
        }

        return null;
    }

    private static async ValueTask<WebSocket> ConnectWebSocketAsync(WebSocketConnectionContext context, MeshConnectionOptions mesh, CancellationToken cancellationToken)
    {
        var http = context.Options;
        if (mesh.StandingRefusal(context.Uri) is { } standing)
        {
            throw standing;
        }

        var socket = new ClientWebSocket();
        var check = new CertificateCheck(mesh.ServerCertificateValidation);
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.SetRequestHeader("X-Requested-With", "XMLHttpRequest");
            foreach (var (name, value) in http.Headers)
            {
                socket.Options.SetRequestHeader(name, value);
            }

            if (http.Cookies is { } cookies)
            {
                socket.Options.Cookies = cookies;
            }

            if (http.Proxy is { } proxy)
            {
                socket.Options.Proxy = proxy;
            }

            if (http.Credentials is { } credentials)
            {
                socket.Options.Credentials = credentials;
            }

            if (http.UseDefaultCredentials is { } useDefault)
            {
                socket.Options.UseDefaultCredentials = useDefault;
            }

            var negotiated = Interlocked.Exchange(ref mesh.NegotiatedToken, null);
            if ((negotiated ?? (http.AccessTokenProvider is { } tokens ? await tokens().ConfigureAwait(false) : null)) is { Length: > 0 } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            if (CurrentCertificate(mesh, http) is { } certificate)
            {
                socket.Options.ClientCertificates.Add(certificate);
            }

            socket.Options.RemoteCertificateValidationCallback = check.Validate;

            http.WebSocketConfiguration?.Invoke(socket.Options);
            await socket.ConnectAsync(context.Uri, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException)
        {
            var refusal = check.Rejection is { } rejection
                ? CertificateCheck.Rejected(context.Uri, rejection, ex)
                : socket.HttpStatusCode is not 0 and var status
                    ? MeshConnectFailure.ForResponse(context.Uri.ToString(), status, name => ReadHeader(socket.HttpResponseHeaders, name), mesh.TimeProvider, ex)
                    : new MeshConnectionException($"Could not connect to {context.Uri}: {DescribeNetworkFailure(ex, socket.Options.ClientCertificates.Count == 0 && context.Uri.Scheme == "wss")}", ex);
            socket.Dispose();
            mesh.RecordRefusal(refusal, ReadHeader(socket.HttpResponseHeaders, MeshConnectFailure.ErrorHeader) is not null, context.Uri);
            throw refusal;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The innermost useful message: TLS failures hide behind "The SSL connection could not be established, see inner exception".</summary>
    internal static string DescribeNetworkFailure(Exception ex, bool tlsWithoutClientCertificate)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return "TLS failed: " + inner.Message;
            }

            // With TLS 1.3 a server that requires a client certificate refuses it after the client's side of
            // the handshake is done, so the client sees the response (or the HTTP/2 preface) end before it began.
            // Which exception carries that depends on timing: under load it is an HttpRequestException whose
            // HttpRequestError is Unknown and whose only clue is its message, so the message is matched on any type.
            if (tlsWithoutClientCertificate && (inner is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError } or HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError }
                || inner.Message.Contains("HTTP/2 handshake", StringComparison.Ordinal)))
            {
                return inner.Message + " (the server may require a client certificate: none was offered).";
            }
        }

        return ex.InnerException?.Message ?? ex.Message;
    }

    private static string? ReadHeader(IReadOnlyDictionary<string, IEnumerable<string>>? headers, string name)
    {
        if (headers is null)
        {
            return null;
        }

        foreach (var (key, values) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return string.Join(", ", values);
            }
        }

        return null;
    }

    /// <summary>
    /// Fails the requests that open a connection (negotiate, the server-sent-events stream) with the
    /// server's reason when it refuses them; other requests pass through untouched.
    /// </summary>
    private sealed class RefusalHandler(SocketsHttpHandler inner, MeshConnectionOptions mesh, HttpConnectionOptions http) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (mesh.StandingRefusal(request.RequestUri!) is { } standing)
            {
                // The server refused a moment ago (on this or another transport): do not go past its answer.
                throw standing;
            }

            if (IsNegotiate(request))
            {
                // The official client's token handler (outside this one) has set the header already.
                Volatile.Write(ref mesh.NegotiatedToken, request.Headers.Authorization is { Scheme: "Bearer", Parameter: { Length: > 0 } token } ? token : null);
            }

            var opens = OpensConnection(request);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (opens)
            {
                if (CertificateCheck.LastRejection(inner) is { } rejection)
                {
                    throw CertificateCheck.Rejected(request.RequestUri!, rejection, ex);
                }

                var withoutCertificate = request.RequestUri!.Scheme == "https" && CurrentCertificate(mesh, http) is null;
                throw new MeshConnectionException($"Could not connect to {request.RequestUri}: {DescribeNetworkFailure(ex, withoutCertificate)}", ex);
            }

            if (!opens || response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var target = request.RequestUri!.GetLeftPart(UriPartial.Path);
                if (target.EndsWith("/negotiate", StringComparison.Ordinal))
                {
                    target = target[..^"/negotiate".Length];
                }

                var refusal = MeshConnectFailure.ForResponse(target, response.StatusCode, name => ReadHeader(response, name), mesh.TimeProvider, null);
                mesh.RecordRefusal(refusal, response.Headers.Contains(MeshConnectFailure.ErrorHeader), request.RequestUri!);
                throw refusal;
            }
        }

        private static bool IsNegotiate(HttpRequestMessage request) =>
            request.RequestUri?.AbsolutePath.EndsWith("/negotiate", StringComparison.Ordinal) == true;

        private static bool OpensConnection(HttpRequestMessage request) =>
            IsNegotiate(request)
            || (request.Method == HttpMethod.Get && request.Headers.Accept.Any(a => a.MediaType == "text/event-stream"));

        private static string? ReadHeader(HttpResponseMessage response, string name) =>
            response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
    }
}
