using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace OrbitMesh.Transport;

public sealed partial class HubConnection
{
    /// <summary>Opens the WebSocket, completes the SignalR handshake and starts the session's loops.</summary>
    private async Task<ConnectionSession> ConnectSessionAsync(CancellationToken cancellationToken)
    {
        var uri = ToWebSocketUri(_options.Url!);
        using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);

        var socket = new ClientWebSocket();
        try
        {
            socket.Options.CollectHttpResponseDetails = true;
            foreach (var (name, value) in _options.Headers)
            {
                socket.Options.SetRequestHeader(name, value);
            }

            if (_options.AccessTokenProvider is { } tokenProvider &&
                await tokenProvider(linked.Token).ConfigureAwait(false) is { Length: > 0 } token)
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            }

            var tls = ConfigureTls(socket.Options, uri);
            _options.ConfigureWebSocket?.Invoke(socket.Options);

            try
            {
                await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
            }
            catch (WebSocketException ex) when (tls?.Rejection is { } rejection)
            {
                throw TlsRejected(uri, rejection, ex);
            }
            catch (HttpRequestException ex) when (tls?.Rejection is { } rejection)
            {
                throw TlsRejected(uri, rejection, ex);
            }
            catch (WebSocketException ex)
            {
                throw TranslateConnectFailure(uri, socket, ex, _time, tls is not null && _options.ClientCertificates.Count == 0);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new MeshConnectionException("timeout", $"Connecting to {uri} took longer than {_options.HandshakeTimeout.TotalSeconds:0.#} s.", null, isRetryable: true);
            }
            catch (HttpRequestException ex)
            {
                throw new MeshConnectionException($"Could not connect to {uri}: {ex.Message}", ex);
            }

            var leftover = await HandshakeAsync(socket, uri, timeout, cancellationToken, linked.Token).ConfigureAwait(false);
            var session = new ConnectionSession(this, socket, _protocol, _options, _logger, _time);
            session.Start(leftover);
            return session;
        }
        catch
        {
            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Installs the server certificate check (recording why a certificate was refused, so the failure can
    /// say so instead of "the SSL connection could not be established") and the client certificates.
    /// </summary>
    private TlsOutcome? ConfigureTls(ClientWebSocketOptions socketOptions, Uri uri)
    {
        if (uri.Scheme != "wss")
        {
            return null;
        }

        if (_options.ClientCertificates.Count > 0)
        {
            socketOptions.ClientCertificates = _options.ClientCertificates;
        }

        var outcome = new TlsOutcome();
        var callback = _options.ServerCertificateValidation;
        socketOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            var accepted = callback is null ? errors == SslPolicyErrors.None : callback(sender, certificate, chain, errors);
            if (!accepted)
            {
                outcome.Rejection = TlsValidation.DescribeRejection(callback, certificate, chain, errors);
            }

            return accepted;
        };
        return outcome;
    }

    private MeshConnectionException TlsRejected(Uri uri, string rejection, Exception ex)
    {
        Log.TlsRejected(_logger, uri, rejection);
        return new MeshConnectionException("tls_rejected", $"Refused the TLS connection to {uri}: {rejection}", ex, isRetryable: false);
    }

    /// <summary>What the certificate check of one connect decided.</summary>
    private sealed class TlsOutcome
    {
        public volatile string? Rejection;
    }

    private async Task<byte[]> HandshakeAsync(ClientWebSocket socket, Uri uri, CancellationTokenSource timeout, CancellationToken callerToken, CancellationToken token)
    {
        var request = new ArrayBufferWriter<byte>(64);
        HandshakeProtocol.WriteRequestMessage(new HandshakeRequestMessage(_protocol.Name, _protocol.Version), request);

        var buffer = new GrowableBuffer(4096);
        try
        {
            await socket.SendAsync(request.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(4096), token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new MeshConnectionException("handshake_failed",
                        $"The server closed the connection during the handshake ({socket.CloseStatus} {socket.CloseStatusDescription}).", null, isRetryable: true);
                }

                buffer.Advance(result.Count);
                var sequence = new ReadOnlySequence<byte>(buffer.Written);
                if (HandshakeProtocol.TryParseResponseMessage(ref sequence, out var response))
                {
                    if (response.Error is { } error)
                    {
                        throw new MeshConnectionException("handshake_failed", $"The server rejected the handshake: {error}", null, isRetryable: false);
                    }

                    return sequence.ToArray();
                }

                if (buffer.Written.Length > 64 * 1024)
                {
                    throw new MeshConnectionException("handshake_failed", "The server's handshake response is too large.", null, isRetryable: false);
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !callerToken.IsCancellationRequested)
        {
            throw new MeshConnectionException("timeout", $"The handshake with {uri} took longer than {_options.HandshakeTimeout.TotalSeconds:0.#} s.", null, isRetryable: true);
        }
        catch (WebSocketException ex)
        {
            throw new MeshConnectionException($"The connection to {uri} failed during the handshake: {ex.Message}", ex);
        }
    }

    private static Exception TranslateConnectFailure(Uri uri, ClientWebSocket socket, WebSocketException ex, TimeProvider time, bool tlsWithoutClientCertificate = false)
    {
        var status = socket.HttpStatusCode;
        var headers = socket.HttpResponseHeaders;
        var reason = ReadHeader(headers, "X-OrbitMesh-Error") ?? ReadAuthenticateDescription(ReadHeader(headers, "WWW-Authenticate"));
        switch (status)
        {
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                return new MeshAuthenticationException(
                    $"The server at {uri} refused the connection ({(int)status} {status}): {reason ?? "no reason given"}.", ex)
                {
                    StatusCode = (int)status,
                };
            case HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable:
                var retryAfter = ParseRetryAfter(ReadHeader(headers, "Retry-After"), time);
                return new MeshConnectionException("server_busy",
                    $"The server at {uri} is busy ({(int)status}); retry after {retryAfter?.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) ?? "?"} s.",
                    ex, isRetryable: true, retryAfter);
            case HttpStatusCode.NotFound:
                return new MeshConnectionException("not_found", $"There is no hub at {uri} (404).", ex, isRetryable: true);
            case 0:
                return new MeshConnectionException($"Could not connect to {uri}: {DescribeTransportFailure(ex, tlsWithoutClientCertificate)}", ex);
            default:
                return new MeshConnectionException($"The server at {uri} answered {(int)status} {status} instead of accepting the WebSocket{(reason is null ? "" : ": " + reason)}.", ex);
        }
    }

    /// <summary>The innermost useful message: TLS failures hide behind "The SSL connection could not be established, see inner exception".</summary>
    private static string DescribeTransportFailure(WebSocketException ex, bool tlsWithoutClientCertificate)
    {
        for (Exception? inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return "TLS failed: " + inner.Message;
            }

            // With TLS 1.3 a server that requires a client certificate refuses it after the client's side of
            // the handshake is done, so the client sees the response end before it began.
            if (tlsWithoutClientCertificate && inner is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded })
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

    private static string? ReadAuthenticateDescription(string? header)
    {
        if (header is null)
        {
            return null;
        }

        const string Marker = "error_description=\"";
        var start = header.IndexOf(Marker, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return header;
        }

        start += Marker.Length;
        var end = header.IndexOf('"', start);
        return end < 0 ? header[start..] : header[start..end];
    }

    internal static TimeSpan? ParseRetryAfter(string? value, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delta = date - time.GetUtcNow();
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return null;
    }

    internal static Uri ToWebSocketUri(Uri url)
    {
        var builder = new UriBuilder(url)
        {
            Scheme = url.Scheme switch
            {
                "http" => "ws",
                "https" => "wss",
                _ => url.Scheme,
            },
        };

        // UriBuilder keeps the default port of the old scheme explicit; drop it when it is the default.
        if ((url.Scheme == "http" && url.Port == 80) || (url.Scheme == "https" && url.Port == 443))
        {
            builder.Port = -1;
        }

        return builder.Uri;
    }
}
