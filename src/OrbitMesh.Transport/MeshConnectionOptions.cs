using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace OrbitMesh.Transport;

/// <summary>
/// How <c>WithMeshHub</c> (<see cref="MeshHubConnectionBuilderExtensions"/>) points the official SignalR client at an
/// OrbitMesh hub: what it adds to <see cref="HttpConnectionOptions"/>, and a hook to set the rest.
/// </summary>
public sealed class MeshConnectionOptions
{
    /// <summary>Every transport the hub serves: WebSockets first, then server-sent events, then long polling.</summary>
    public const HttpTransportType AllTransports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    /// <summary>True when <paramref name="transports"/> names at least one of the hub's transports and nothing else.</summary>
    public static bool IsValidTransports(HttpTransportType transports) =>
        transports != HttpTransportType.None && (transports & ~AllTransports) == 0;

    /// <summary>
    /// The transports to try, in the client's order (WebSockets, server-sent events, long polling): the
    /// client negotiates and falls back to the next when one cannot connect. Default: all three.
    /// </summary>
    public HttpTransportType Transports { get; set; } = AllTransports;

    /// <summary>
    /// Connect the WebSocket without the negotiate request first (one round trip less per connect). Only with
    /// <see cref="Transports"/> set to WebSockets alone, and without <see cref="StatefulReconnect"/>, which negotiation turns on.
    /// </summary>
    public bool SkipNegotiation { get; set; }

    /// <summary>Asked for a bearer token before every request that opens a connection; null or empty sends none.</summary>
    public Func<Task<string?>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// Decides whether the server's TLS certificate is trusted (see <see cref="TlsValidation"/>); null for the
    /// operating system's trust store. A refusal fails the connect with the reason, not only "the SSL connection could not be established".
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>
    /// Certificates offered for mutual TLS, read at each TLS handshake (not copied once), so a certificate
    /// renewed between connects is the one presented next. The first with a private key is offered.
    /// </summary>
    public X509CertificateCollection ClientCertificates { get; } = [];

    /// <summary>
    /// Stateful reconnect: after a short cut the client resumes the same connection, replaying what the other
    /// side missed, instead of starting a new one (the hub must allow it). Needs negotiation.
    /// </summary>
    public bool StatefulReconnect { get; set; }

    /// <summary>The encoding of hub messages: JSON (the default) or MessagePack. The server speaks both.</summary>
    public MeshHubProtocol HubProtocol { get; set; } = MeshHubProtocol.Json;

    /// <summary>Reads <c>Retry-After</c> dates; the system clock unless a test sets one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Further hub URLs of the same mesh (other servers of a cluster), tried in turn when the current one cannot be
    /// reached: each connect, the first attempt and every reconnect, starts at the server it last reached and
    /// moves on to the next on any failure, so an agent whose server died reconnects to another within one attempt.
    /// </summary>
    public IList<Uri> FailoverUrls { get; } = [];

    /// <summary>The hub URL the current connect attempt goes to, or the last one reached; null before the first.</summary>
    public Uri? CurrentUrl => Volatile.Read(ref _currentUrl);

    private Uri? _currentUrl;

    internal void SetCurrentUrl(Uri url) => Volatile.Write(ref _currentUrl, url);

    /// <summary>Sets anything else of the official client's connection options (headers, cookies, proxy...), after OrbitMesh's own.</summary>
    public Action<HttpConnectionOptions>? ConfigureHttpConnection { get; set; }

    /// <summary>
    /// The server's latest refusal (401, 403, 429 or 503) and until when it stands: its <c>Retry-After</c>, and at
    /// least <see cref="RefusalHold"/>. Until then every request fails with it at once, so the client does not fall
    /// back to another transport past the server's answer (a busy server's long-polling fallback would let the
    /// agent in past the handshake budget it was just refused by) and does not knock again before it was asked to.
    /// </summary>
    internal volatile Refusal? LastRefusal;

    /// <summary>How long a refusal without <c>Retry-After</c> stands: long enough to cover the client's fallbacks within one attempt.</summary>
    internal static readonly TimeSpan RefusalHold = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Remembers a refusal that came from the OrbitMesh server itself (it names its reason in
    /// <see cref="MeshConnectFailure.ErrorHeader"/>). A bare 403 or 503 on the WebSocket upgrade is more likely a
    /// proxy that blocks WebSockets: then the next transport is what the fallback is for.
    /// </summary>
    internal void RecordRefusal(MeshConnectionException refusal, bool fromServer, Uri target)
    {
        if (fromServer && (refusal is MeshAuthenticationException || refusal.Code == "server_busy"))
        {
            var hold = refusal.RetryAfter is { } wait && wait > RefusalHold ? wait : RefusalHold;
            LastRefusal = new Refusal(refusal, TimeProvider.GetUtcNow() + hold, target.Authority);
        }
    }

    /// <summary>The refusal that stands for requests to <paramref name="target"/>: one server's answer does not hold back a connect to another (<see cref="FailoverUrls"/>).</summary>
    internal MeshConnectionException? StandingRefusal(Uri target) =>
        LastRefusal is { } last && TimeProvider.GetUtcNow() < last.Until && string.Equals(last.Authority, target.Authority, StringComparison.OrdinalIgnoreCase) ? last.Error : null;

    internal sealed record Refusal(MeshConnectionException Error, DateTimeOffset Until, string Authority);

    /// <summary>
    /// The bearer token the current negotiate request carried, for the WebSocket that follows it. A node's
    /// proof is not used up by negotiate (docs/protocol.md §1.1), so the upgrade presents the same one
    /// instead of fetching a second challenge for every connect.
    /// </summary>
    internal string? NegotiatedToken;

    internal void Validate()
    {
        if (!Enum.IsDefined(HubProtocol))
        {
            throw new InvalidOperationException($"Protocol must be Json or MessagePack; '{HubProtocol}' is not.");
        }

        if (!IsValidTransports(Transports))
        {
            throw new InvalidOperationException($"Transports must be WebSockets, ServerSentEvents, LongPolling or a combination; '{Transports}' is not.");
        }

        if (SkipNegotiation && Transports != HttpTransportType.WebSockets)
        {
            throw new InvalidOperationException("SkipNegotiation works with the WebSockets transport alone: the other transports need the negotiate request.");
        }

        if (SkipNegotiation && StatefulReconnect)
        {
            throw new InvalidOperationException("StatefulReconnect needs the negotiate request: turn SkipNegotiation off.");
        }
    }
}
