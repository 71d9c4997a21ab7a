using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Server;

/// <summary>
/// Settings for the OrbitMesh server, configured with <c>services.AddOrbitMesh(o => ...)</c> and
/// validated when the host starts: a bad configuration fails the start with every error listed.
/// </summary>
public sealed class OrbitMeshServerOptions
{
    /// <summary>Default <see cref="HeartbeatInterval"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>Default <see cref="MissedHeartbeatsAllowed"/>: 3.</summary>
    public const int DefaultMissedHeartbeatsAllowed = 3;

    /// <summary>Default <see cref="MaximumMessageSize"/>: 1 MiB.</summary>
    public const long DefaultMaximumMessageSize = 1024 * 1024;

    /// <summary>Default <see cref="RegistrationTimeout"/>: 10 s.</summary>
    public static readonly TimeSpan DefaultRegistrationTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="KeepAliveInterval"/>: 15 s.</summary>
    public static readonly TimeSpan DefaultKeepAliveInterval = TimeSpan.FromSeconds(15);

    /// <summary>Default <see cref="ClientTimeoutInterval"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultClientTimeoutInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="DefaultInvokeTimeout"/>: 30 s.</summary>
    public static readonly TimeSpan DefaultDefaultInvokeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="DisconnectedAgentRetention"/>: 24 h.</summary>
    public static readonly TimeSpan DefaultDisconnectedAgentRetention = TimeSpan.FromHours(24);

    /// <summary>Default <see cref="ReplacedConnectionGracePeriod"/>: 1 s.</summary>
    public static readonly TimeSpan DefaultReplacedConnectionGracePeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default <see cref="MaxConcurrentHandshakes"/>: 128.</summary>
    public const int DefaultMaxConcurrentHandshakes = 128;

    /// <summary>Default <see cref="HandshakeRetryAfter"/>: 2 s.</summary>
    public static readonly TimeSpan DefaultHandshakeRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>Default <see cref="MaxHeartbeatsPerSecond"/>: 1,000.</summary>
    public const int DefaultMaxHeartbeatsPerSecond = 1000;

    /// <summary>Default <see cref="RestartGracePeriod"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultRestartGracePeriod = TimeSpan.FromSeconds(60);

    /// <summary>The path the agent hub is mapped at. Default <c>/mesh</c>.</summary>
    [Required]
    [RegularExpression("^/[A-Za-z0-9/_-]*$", ErrorMessage = "HubPath must start with '/' and contain only letters, digits, '/', '_' and '-'.")]
    public string HubPath { get; set; } = Protocol.HubMethodNames.HubPath;

    /// <summary>How often agents send a heartbeat. Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00", ErrorMessage = "HeartbeatInterval must be between 50 ms and 1 h.")]
    public TimeSpan HeartbeatInterval { get; set; } = DefaultHeartbeatInterval;

    /// <summary>Heartbeats an agent may miss in a row before it is marked Unreachable. Default 3.</summary>
    [Range(1, 100)]
    public int MissedHeartbeatsAllowed { get; set; } = DefaultMissedHeartbeatsAllowed;

    /// <summary>
    /// Shared tokens agents may present instead of enrolling (for development; an explicit opt-in).
    /// Enrolled nodes prove their key instead (see docs/security.md).
    /// </summary>
    public IList<string> AgentTokens { get; } = [];

    /// <summary>
    /// A static admin key accepted in the <c>X-Api-Key</c> header besides the stored keys. It is only ever
    /// taken from here (never from the environment), must not be a stored <c>omk_</c> key (whose
    /// revocation must win), and is logged at start by its id, never its value. Default: not set.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The largest hub message accepted from an agent; a larger one closes that connection. Default 1 MiB.</summary>
    [Range(1024, 256L * 1024 * 1024)]
    public long MaximumMessageSize { get; set; } = DefaultMaximumMessageSize;

    /// <summary>How long a connection may stay unregistered before it is closed. Default 10 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RegistrationTimeout { get; set; } = DefaultRegistrationTimeout;

    /// <summary>How often the server pings idle connections. Default 15 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan KeepAliveInterval { get; set; } = DefaultKeepAliveInterval;

    /// <summary>How long a connection may be silent before the server closes it. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClientTimeoutInterval { get; set; } = DefaultClientTimeoutInterval;

    /// <summary>
    /// Let agents resume a connection after a short cut (SignalR stateful reconnect): what either side sent
    /// meanwhile is replayed and the agent does not register again. The price: an agent whose process died
    /// looks alive to the hub until its resume window ends, so it is listed Disconnected later than the
    /// heartbeat window says. Off by default; agents opt in with <c>MeshAgentOptions.StatefulReconnect</c>.
    /// </summary>
    public bool AllowStatefulReconnects { get; set; }

    /// <summary>The timeout of a communication-level invocation when the caller gives none. Default 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan DefaultInvokeTimeout { get; set; } = DefaultDefaultInvokeTimeout;

    /// <summary>How long a disconnected agent stays listed. Default 24 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan DisconnectedAgentRetention { get; set; } = DefaultDisconnectedAgentRetention;

    /// <summary>How long a replaced connection has to close by itself after its notice, before it is aborted. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReplacedConnectionGracePeriod { get; set; } = DefaultReplacedConnectionGracePeriod;

    /// <summary>How many of one agent's hub calls the server runs at once (reports about different jobs, heartbeats). Default 16.</summary>
    [Range(1, 1024)]
    public int MaxParallelInvocationsPerAgent { get; set; } = 16;

    /// <summary>Snapshot an agent's twin every this many events. Default 50.</summary>
    [Range(1, 100_000)]
    public int TwinSnapshotEvery { get; set; } = 50;

    /// <summary>
    /// Reconnect admission control: how many agent connections may be in handshake (connected, not yet
    /// registered) at once. Further connects are answered 503 with <see cref="HandshakeRetryAfter"/>. Default 128.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConcurrentHandshakes { get; set; } = DefaultMaxConcurrentHandshakes;

    /// <summary>
    /// At most this many of <see cref="MaxConcurrentHandshakes"/> are held by one remote address
    /// (agents behind one NAT share it; they retry after <see cref="HandshakeRetryAfter"/>). Default 64.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConcurrentHandshakesPerAddress { get; set; } = 64;

    /// <summary>At most this many connections of one enrolled node may be in handshake at once. Default 2.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentHandshakesPerNode { get; set; } = 2;

    /// <summary>The <c>Retry-After</c> sent with a refused connect (whole seconds, at least 1). Default 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "HandshakeRetryAfter must be between 1 s and 10 min.")]
    public TimeSpan HandshakeRetryAfter { get; set; } = DefaultHandshakeRetryAfter;

    /// <summary>
    /// Heartbeats per second the server aims to receive at most. As the fleet grows past
    /// <c>MaxHeartbeatsPerSecond × HeartbeatInterval</c> agents, the interval the server gives agents
    /// grows with it (connected agents ÷ this rate), and so do the liveness thresholds. Default 1,000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxHeartbeatsPerSecond { get; set; } = DefaultMaxHeartbeatsPerSecond;

    /// <summary>
    /// After a (re)start, how long the server waits for its agents to come back before it treats them
    /// as lost: jobs recovered as Running keep their lease at least this long, and jobs waiting for an
    /// agent that has not returned yet do not fail for want of one. Default 60 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "RestartGracePeriod must be between 0 and 1 h.")]
    public TimeSpan RestartGracePeriod { get; set; } = DefaultRestartGracePeriod;

    /// <summary>Send exception details (stack traces) of handler failures to callers. Default false.</summary>
    public bool IncludeErrorDetails { get; set; }

    /// <summary>Enrollment, node certificates, user tokens, rate limits and development relaxations.</summary>
    public Security.SecurityOptions Security { get; } = new();

    /// <summary>The execution engine's settings.</summary>
    public Jobs.JobOptions Jobs { get; } = new();

    /// <summary>Compaction of finished jobs.</summary>
    public Jobs.RetentionOptions Retention { get; } = new();

    /// <summary>Circuit breaking and retries of server→agent calls.</summary>
    public Jobs.ResilienceOptions Resilience { get; } = new();

    /// <summary>Middleware types run around each job attempt's dispatch, outermost first.</summary>
    public IList<Type> Middleware { get; } = [];

    /// <summary>Adds a middleware that runs around each job attempt's dispatch.</summary>
    public OrbitMeshServerOptions UseMiddleware<TMiddleware>()
        where TMiddleware : class, Execution.IMeshMiddleware
    {
        Middleware.Add(typeof(TMiddleware));
        return this;
    }

    /// <summary>Raised when an agent registers.</summary>
    public event EventHandler<AgentInfo>? OnAgentConnected;

    /// <summary>Raised when a registered agent's connection closes.</summary>
    public event EventHandler<AgentInfo>? OnAgentDisconnected;

    /// <summary>Raised when a job completes.</summary>
    public event EventHandler<JobRecord>? OnJobCompleted;

    /// <summary>Raised when a job ends without completing (failed, dead-lettered, timed out or cancelled).</summary>
    public event EventHandler<JobRecord>? OnJobFailed;

    /// <summary>
    /// Raised for each event a job records (status changes, progress reports, streamed items) once it is
    /// stored, in order per job. Handlers run on the job's path: keep them short (the dashboard only marks
    /// its open pages stale and renders them in batches).
    /// </summary>
    public event EventHandler<JobEvent>? OnJobEvent;

    internal bool HasJobEventHandlers => OnJobEvent is not null;

    internal void RaiseJobEvent(JobEvent jobEvent) => OnJobEvent?.Invoke(this, jobEvent);

    internal void RaiseAgentConnected(AgentInfo agent) => OnAgentConnected?.Invoke(this, agent);

    internal void RaiseAgentDisconnected(AgentInfo agent) => OnAgentDisconnected?.Invoke(this, agent);

    internal void RaiseJobCompleted(JobRecord job) => OnJobCompleted?.Invoke(this, job);

    internal void RaiseJobFailed(JobRecord job) => OnJobFailed?.Invoke(this, job);
}
