using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Transport;

namespace OrbitMesh.Agent;

/// <summary>
/// Builds a <see cref="MeshAgent"/>:
/// <code>
/// await using var agent = new MeshAgentBuilder()
///     .WithServer("http://127.0.0.1:5080")
///     .WithToken(token)
///     .WithId("node-a")
///     .WithCapabilities("gpu")
///     .RegisterHandler&lt;InferenceHandler&gt;("run-inference")
///     .Build();
/// await agent.ConnectAsync();
/// </code>
/// </summary>
public sealed class MeshAgentBuilder
{
    private readonly MeshAgentOptions _options = new();
    private readonly HandlerRegistry _handlers = new();
    private IServiceProvider? _services;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private Action<MeshConnectionOptions>? _configureConnection;
    private readonly List<Type> _middleware = [];
    private Func<ReadOnlyMemory<byte>, Task>? _rawHandler;
    private bool _built;

    /// <summary>The server's base URL (the hub at <c>/mesh</c> is implied) or the hub's full URL.</summary>
    public MeshAgentBuilder WithServer(string url) => WithServer(new Uri(url, UriKind.Absolute));

    /// <summary>The server's base URL (the hub at <c>/mesh</c> is implied) or the hub's full URL.</summary>
    public MeshAgentBuilder WithServer(Uri url)
    {
        _options.Server = url;
        return this;
    }

    /// <summary>Other servers of the same cluster, tried in turn when the current one cannot be reached (see <see cref="MeshAgentOptions.FailoverServers"/>).</summary>
    public MeshAgentBuilder WithFailoverServers(params IEnumerable<Uri> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        foreach (var url in urls)
        {
            _options.FailoverServers.Add(url);
        }

        return this;
    }

    /// <summary>The agent token the server knows.</summary>
    public MeshAgentBuilder WithToken(string token)
    {
        _options.Token = token;
        return this;
    }

    /// <summary>
    /// Connects as an enrolled node: each connection proves possession of the identity's key (and the
    /// certificate is renewed near expiry). The agent's id is the node's id.
    /// </summary>
    public MeshAgentBuilder WithNodeIdentity(Security.NodeIdentity identity, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _options.Identity = identity;
        _options.HttpClient = httpClient ?? _options.HttpClient;
        return this;
    }

    /// <summary>Accepts only the server certificate with this SHA-256 fingerprint (see <see cref="MeshAgentOptions.ServerCertificateFingerprint"/>).</summary>
    public MeshAgentBuilder WithServerCertificateFingerprint(string fingerprint)
    {
        _options.ServerCertificateFingerprint = fingerprint;
        return this;
    }

    /// <summary>Trusts server certificates issued by this authority only (see <see cref="MeshAgentOptions.TrustedCertificateAuthority"/>).</summary>
    public MeshAgentBuilder WithTrustedCertificateAuthority(X509Certificate2 certificateAuthority)
    {
        _options.TrustedCertificateAuthority = certificateAuthority;
        return this;
    }

    /// <summary>Presents this certificate (with its private key) to a server that asks for one (mutual TLS).</summary>
    public MeshAgentBuilder WithClientCertificate(X509Certificate2 certificate)
    {
        _options.ClientCertificate = certificate;
        return this;
    }

    /// <summary>The agent's id.</summary>
    public MeshAgentBuilder WithId(string id)
    {
        _options.Id = id;
        return this;
    }

    /// <summary>A human-readable name.</summary>
    public MeshAgentBuilder WithName(string name)
    {
        _options.Name = name;
        return this;
    }

    /// <summary>Capabilities the agent declares.</summary>
    public MeshAgentBuilder WithCapabilities(params string[] capabilities)
    {
        foreach (var capability in capabilities)
        {
            _options.Capabilities.Add(capability);
        }

        return this;
    }

    /// <summary>Capabilities the agent declares.</summary>
    public MeshAgentBuilder WithCapabilities(params AgentCapability[] capabilities) =>
        WithCapabilities(capabilities.Select(c => c.Name).ToArray());

    /// <summary>Groups the agent joins.</summary>
    public MeshAgentBuilder WithGroups(params string[] groups)
    {
        foreach (var group in groups)
        {
            _options.Groups.Add(group);
        }

        return this;
    }

    /// <summary>A free-form label.</summary>
    public MeshAgentBuilder WithMetadata(string key, string value)
    {
        _options.Metadata[key] = value;
        return this;
    }

    /// <summary>How many commands run at once.</summary>
    public MeshAgentBuilder WithMaxConcurrentJobs(int maxConcurrentJobs)
    {
        _options.MaxConcurrentJobs = maxConcurrentJobs;
        return this;
    }

    /// <summary>Services for handler activation; a private container when not given.</summary>
    public MeshAgentBuilder WithServices(IServiceProvider services)
    {
        _services = services;
        return this;
    }

    /// <summary>Logging.</summary>
    public MeshAgentBuilder WithLoggerFactory(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Any other agent setting.</summary>
    public MeshAgentBuilder Configure(Action<MeshAgentOptions> configure)
    {
        configure(_options);
        return this;
    }

    /// <summary>
    /// Low-level connection settings: the transports, TLS, and through
    /// <see cref="MeshConnectionOptions.ConfigureHttpConnection"/> the official client's own options (headers, proxy, WebSocket options, ...).
    /// </summary>
    public MeshAgentBuilder ConfigureConnection(Action<MeshConnectionOptions> configure)
    {
        _configureConnection += configure;
        return this;
    }

    /// <summary>Registers a handler type, activated per execution from the services.</summary>
    public MeshAgentBuilder RegisterHandler<THandler>(string command)
        where THandler : class
    {
        _handlers.Add(command, HandlerRegistration.ForType(typeof(THandler)));
        return this;
    }

    /// <summary>Registers a lambda handler.</summary>
    public MeshAgentBuilder RegisterHandler(string command, Func<MeshCommand, CancellationToken, Task<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add(command, HandlerRegistration.ForDelegate(handler));
        return this;
    }

    /// <summary>Registers a synchronous lambda handler.</summary>
    public MeshAgentBuilder RegisterHandler(string command, Func<MeshCommand, object?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add(command, HandlerRegistration.ForDelegate((c, _) => Task.FromResult(handler(c))));
        return this;
    }

    /// <summary>Registers a lambda stream handler.</summary>
    public MeshAgentBuilder RegisterStreamHandler(string command, Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Add(command, HandlerRegistration.ForStream(handler));
        return this;
    }

    /// <summary>
    /// Registers a handler for a family of commands: every command starting with <paramref name="prefix"/>
    /// (which ends in <c>:</c>, e.g. <c>wasm:</c>) and having more after it, such as <c>wasm:resize@1.2</c>.
    /// The agent advertises the family as <c>prefix*</c>. When a job streams, <paramref name="stream"/>
    /// produces its items; otherwise <paramref name="execute"/> produces its one result.
    /// </summary>
    public MeshAgentBuilder RegisterCommandFamily(
        string prefix,
        Func<MeshCommand, CancellationToken, Task<object?>> execute,
        Func<MeshCommand, CancellationToken, IAsyncEnumerable<object?>> stream)
    {
        ArgumentNullException.ThrowIfNull(execute);
        ArgumentNullException.ThrowIfNull(stream);
        _handlers.AddFamily(prefix, HandlerRegistration.ForDual(execute, stream));
        return this;
    }

    /// <summary>Adds a middleware that runs around every handler execution (jobs and invocations), outermost first.</summary>
    public MeshAgentBuilder UseMiddleware<TMiddleware>()
        where TMiddleware : class, Execution.IMeshMiddleware
    {
        _middleware.Add(typeof(TMiddleware));
        return this;
    }

    /// <summary>Handles opaque bytes sent with <c>IMeshClient.SendRawAsync</c>.</summary>
    public MeshAgentBuilder OnRaw(Func<ReadOnlyMemory<byte>, Task> handler)
    {
        _rawHandler = handler;
        return this;
    }

    /// <summary>Validates the settings and builds the agent. A builder builds once.</summary>
    public MeshAgent Build()
    {
        if (_built)
        {
            throw new InvalidOperationException("This MeshAgentBuilder has already built an agent; create a new builder.");
        }

        _options.Validate();
        _built = true;
        return new MeshAgent(_options, _handlers, _services, _loggerFactory, _configureConnection, _middleware, _rawHandler);
    }
}
