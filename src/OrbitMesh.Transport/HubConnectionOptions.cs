using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace OrbitMesh.Transport;

/// <summary>
/// Settings for a <see cref="HubConnection"/>. Defaults match the official SignalR clients.
/// </summary>
public sealed class HubConnectionOptions
{
    /// <summary>The default keep-alive interval: 15 s.</summary>
    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>The default server timeout: 30 s.</summary>
    public static readonly TimeSpan DefaultServerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The default handshake timeout: 15 s.</summary>
    public static readonly TimeSpan DefaultHandshakeTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The default largest message accepted from the server: 16 MiB.</summary>
    public const int DefaultMaximumReceiveMessageSize = 16 * 1024 * 1024;

    /// <summary>The default number of stream items buffered per server-to-client stream: 1,000.</summary>
    public const int DefaultStreamBufferCapacity = 1000;

    /// <summary>The hub's URL (http, https, ws or wss). Required.</summary>
    public Uri? Url { get; set; }

    /// <summary>Supplies the bearer token sent in the <c>Authorization</c> header of each connect; null for none.</summary>
    public Func<CancellationToken, ValueTask<string?>>? AccessTokenProvider { get; set; }

    /// <summary>Extra HTTP headers sent with each connect.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>How often to send a ping when nothing else was sent. Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = DefaultKeepAliveInterval;

    /// <summary>
    /// How long the connection may go without any message from the server before it is considered
    /// lost. Default 30 s; keep it at least twice the server's keep-alive interval.
    /// </summary>
    public TimeSpan ServerTimeout { get; set; } = DefaultServerTimeout;

    /// <summary>How long the WebSocket connect and the SignalR handshake may take. Default 15 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = DefaultHandshakeTimeout;

    /// <summary>The largest message accepted from the server; a larger one closes the connection. Default 16 MiB.</summary>
    public int MaximumReceiveMessageSize { get; set; } = DefaultMaximumReceiveMessageSize;

    /// <summary>Items buffered per server-to-client stream before reading from the socket waits. Default 1,000.</summary>
    public int StreamBufferCapacity { get; set; } = DefaultStreamBufferCapacity;

    /// <summary>The reconnect policy; null (the default) closes the connection when it is lost.</summary>
    public IRetryPolicy? ReconnectPolicy { get; set; }

    /// <summary>Adjusts the JSON used for arguments and results (the OrbitMesh settings are applied first).</summary>
    public Action<JsonSerializerOptions>? ConfigureJson { get; set; }

    /// <summary>
    /// Decides whether the server's TLS certificate is trusted (https/wss only); see <see cref="TlsValidation"/>
    /// for pinning a fingerprint or trusting one certificate authority. Null (the default) uses the operating
    /// system's trust store. A refused certificate fails the connect with a non-retryable
    /// <see cref="MeshConnectionException"/> (code <c>tls_rejected</c>) that says why.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Client certificates (with their private keys) offered when the server asks for one (mutual TLS).</summary>
    public X509CertificateCollection ClientCertificates { get; } = [];

    /// <summary>Adjusts the WebSocket before each connect (certificates, proxy, ...).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>Logging; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for keep-alive, timeouts and reconnect delays.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (Url is null)
        {
            throw new InvalidOperationException("HubConnectionOptions.Url is required.");
        }

        if (Url.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new InvalidOperationException($"The hub URL '{Url}' must use http, https, ws or wss.");
        }

        if (KeepAliveInterval <= TimeSpan.Zero || ServerTimeout <= TimeSpan.Zero || HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("KeepAliveInterval, ServerTimeout and HandshakeTimeout must be positive.");
        }

        if (MaximumReceiveMessageSize < 1024)
        {
            throw new InvalidOperationException("MaximumReceiveMessageSize must be at least 1024 bytes.");
        }

        if (StreamBufferCapacity < 1)
        {
            throw new InvalidOperationException("StreamBufferCapacity must be at least 1.");
        }
    }
}
