using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Protocol;
using OrbitMesh.Transport;

namespace OrbitMesh.Agent;

/// <summary>
/// Settings for a <see cref="MeshAgent"/>.
/// </summary>
public sealed class MeshAgentOptions
{
    /// <summary>Default <see cref="MaxConcurrentJobs"/>: 8.</summary>
    public const int DefaultMaxConcurrentJobs = 8;

    /// <summary>
    /// The server: its base URL (<c>http://host:5080</c>, the hub at <c>/mesh</c> is implied) or the hub's full URL. Required.
    /// </summary>
    [Required(ErrorMessage = "The server URL is required (WithServer / --server).")]
    public Uri? Server { get; set; }

    /// <summary>
    /// Other servers of the same cluster (base or hub URLs, as <see cref="Server"/>): when the server the agent is on
    /// cannot be reached, each connect tries the next in turn (<see cref="Server"/> first), so an agent whose server
    /// died is back on another within one reconnect attempt. They share one pinned fingerprint or trusted authority.
    /// </summary>
    public IList<Uri> FailoverServers { get; } = [];

    /// <summary>A shared agent token the server knows (development; enrolled nodes use <see cref="Identity"/>).</summary>
    public string? Token { get; set; }

    /// <summary>
    /// The enrolled node's identity (see <see cref="Security.NodeIdentity"/>): every connection proves
    /// possession of its key, and its certificate is renewed before it expires. Its id is the agent's id.
    /// </summary>
    public Security.NodeIdentity? Identity { get; set; }

    /// <summary>The HTTP client for the node's proof and renewal calls; one is created when not set.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>The agent's id; the machine name when not set.</summary>
    public string? Id { get; set; }

    /// <summary>A human-readable name; the id when not set.</summary>
    public string? Name { get; set; }

    /// <summary>Capabilities the agent declares.</summary>
    public IList<string> Capabilities { get; } = [];

    /// <summary>Groups the agent joins.</summary>
    public IList<string> Groups { get; } = [];

    /// <summary>Free-form labels.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How many commands run at once; more are refused as busy. Default 8.</summary>
    [Range(1, Protocol.ProtocolLimits.MaxConcurrentJobsLimit)]
    public int MaxConcurrentJobs { get; set; } = DefaultMaxConcurrentJobs;

    /// <summary>The smallest reconnect delay after the first attempt. Default 500 ms.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = DecorrelatedJitterRetryPolicy.DefaultBaseDelay;

    /// <summary>The largest reconnect delay. Default 30 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = DecorrelatedJitterRetryPolicy.DefaultMaxDelay;

    /// <summary>
    /// When true, <see cref="MeshAgent.ConnectAsync"/> keeps trying (with the reconnect delays) until the
    /// server answers, instead of failing on the first refused connect. Authentication and registration
    /// failures still fail at once. Default false.
    /// </summary>
    public bool RetryInitialConnection { get; set; }

    /// <summary>The transport's keep-alive interval. Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = HubConnection.DefaultKeepAliveInterval;

    /// <summary>The transport's server timeout. Default 30 s.</summary>
    public TimeSpan ServerTimeout { get; set; } = HubConnection.DefaultServerTimeout;

    /// <summary>
    /// The transports the agent may use, tried in order after negotiation: WebSockets, then server-sent
    /// events, then long polling, so an agent behind a proxy that blocks WebSockets still connects. Default: all three.
    /// </summary>
    public HttpTransportType Transports { get; set; } = MeshConnectionOptions.AllTransports;

    /// <summary>
    /// Resume the same connection after a short cut (SignalR stateful reconnect): messages in flight either
    /// way are replayed, nothing is lost and the agent does not register again. The server must allow it
    /// (<c>OrbitMeshServerOptions.AllowStatefulReconnects</c>; a server that does not simply ignores the
    /// request). Longer cuts still end in a reconnect and a new registration. Default false.
    /// </summary>
    public bool StatefulReconnect { get; set; }

    /// <summary>
    /// The encoding of hub messages: <see cref="MeshHubProtocol.Json"/> (the default) or <see cref="MeshHubProtocol.MessagePack"/>
    /// (binary; job parameters and results travel as their UTF-8 JSON bytes). Every OrbitMesh server speaks both.
    /// </summary>
    public MeshHubProtocol HubProtocol { get; set; } = MeshHubProtocol.Json;

    /// <summary>How long <see cref="MeshAgent.StopAsync"/> lets running jobs finish before it gives them back. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Send exception details (stack traces) of handler failures back to callers. Default false.</summary>
    public bool IncludeErrorDetails { get; set; }

    /// <summary>
    /// The SHA-256 fingerprint of the server's certificate (64 hex digits, colons and case ignored): only
    /// that certificate is accepted, whatever its chain or names (pinning, e.g. the fingerprint learned at
    /// enrollment). Null (the default) for none. Not together with <see cref="TrustedCertificateAuthority"/>.
    /// </summary>
    public string? ServerCertificateFingerprint { get; set; }

    /// <summary>
    /// The certificate authority the server's certificate must chain to (instead of the operating system's
    /// trust store); its names must match the server URL's host. Null (the default) for none.
    /// </summary>
    public X509Certificate2? TrustedCertificateAuthority { get; set; }

    /// <summary>The client certificate, with its private key, presented to a server that asks for one (mutual TLS). Null (the default) for none.</summary>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The hub URL the agent connects to.</summary>
    public Uri HubUrl
    {
        get
        {
            var server = Server ?? throw new InvalidOperationException("The server URL is required (WithServer / --server).");
            return HubUrlOf(server);
        }
    }

    /// <summary>The hub URL of <paramref name="server"/> (a base URL gets the hub path, a hub URL stays).</summary>
    internal static Uri HubUrlOf(Uri server) => server.AbsolutePath is "" or "/" ? new Uri(server, Protocol.HubMethodNames.HubPath) : server;

    /// <summary>The agent id in effect.</summary>
    public string EffectiveId => Identity?.NodeId ?? (string.IsNullOrWhiteSpace(Id) ? Environment.MachineName.ToLowerInvariant() : Id);

    /// <summary>Throws an <see cref="OrbitMeshException"/> listing every invalid setting.</summary>
    internal void Validate()
    {
        var results = new List<ValidationResult>();
        var errors = Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true)
            ? []
            : results.Select(r => r.ErrorMessage ?? "An agent setting is invalid.").ToList();
        if (ReconnectBaseDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectBaseDelay)
        {
            errors.Add("ReconnectBaseDelay must be positive and ReconnectMaxDelay at least as large.");
        }

        if (!Enum.IsDefined(HubProtocol))
        {
            errors.Add($"Protocol must be Json or MessagePack; '{HubProtocol}' is not.");
        }

        if (!MeshConnectionOptions.IsValidTransports(Transports))
        {
            errors.Add($"Transports must be WebSockets, ServerSentEvents, LongPolling or a combination; '{Transports}' is not.");
        }

        if (Server is { } server && server.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            errors.Add($"The server URL '{server}' must use http or https.");
        }

        foreach (var failover in FailoverServers)
        {
            if (failover.Scheme is not ("http" or "https" or "ws" or "wss"))
            {
                errors.Add($"The failover server URL '{failover}' must use http or https.");
            }
            else if (Server is { } first && (failover.Scheme is "https" or "wss") != (first.Scheme is "https" or "wss"))
            {
                errors.Add($"The failover server URL '{failover}' must use TLS as the server URL '{first}' does, or not, alike.");
            }
        }

        if (Identity is not null && !string.IsNullOrEmpty(Token))
        {
            errors.Add("Give either a shared token or a node identity, not both.");
        }

        if (Identity is not null && !string.IsNullOrWhiteSpace(Id) && Id != Identity.NodeId)
        {
            errors.Add($"The agent id '{Id}' differs from the enrolled node's id '{Identity.NodeId}'.");
        }

        if (ServerCertificateFingerprint is not null && TrustedCertificateAuthority is not null)
        {
            errors.Add("Pin the server's certificate fingerprint or trust a certificate authority, not both.");
        }

        if (ServerCertificateFingerprint is { } fingerprint)
        {
            try
            {
                TlsValidation.NormalizeFingerprint(fingerprint);
            }
            catch (FormatException ex)
            {
                errors.Add("ServerCertificateFingerprint: " + ex.Message);
            }
        }

        if ((ServerCertificateFingerprint is not null || TrustedCertificateAuthority is not null || ClientCertificate is not null) &&
            Server is { Scheme: not ("https" or "wss") } plain)
        {
            // A pin over plain HTTP would protect nothing while looking as if it did.
            errors.Add($"The server certificate fingerprint, trusted authority and client certificate need an https server URL, not '{plain}'.");
        }

        if (ClientCertificate is { HasPrivateKey: false })
        {
            errors.Add("The client certificate has no private key.");
        }

        if (!RegistrationValidator.IsValidAgentId(EffectiveId))
        {
            errors.Add($"The agent id '{EffectiveId}' is not valid: {RegistrationValidator.AgentIdRule}");
        }

        if (errors.Count > 0)
        {
            throw new OrbitMeshException("invalid_options", "The agent settings are invalid: " + string.Join(" ", errors));
        }
    }
}
