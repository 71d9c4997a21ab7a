using System.ComponentModel.DataAnnotations;

namespace OrbitMesh.Server.Security;

/// <summary>
/// Security settings (<c>OrbitMeshServerOptions.Security</c>): enrollment, node certificates, user
/// tokens, rate limits and the development relaxations. See docs/security.md.
/// </summary>
public sealed class SecurityOptions
{
    /// <summary>Default <see cref="BootstrapTokenLifetime"/>: 1 h.</summary>
    public static readonly TimeSpan DefaultBootstrapTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>Default <see cref="CertificateLifetime"/>: 30 days.</summary>
    public static readonly TimeSpan DefaultCertificateLifetime = TimeSpan.FromDays(30);

    /// <summary>Default <see cref="CertificateRenewalWindow"/>: 10 days.</summary>
    public static readonly TimeSpan DefaultCertificateRenewalWindow = TimeSpan.FromDays(10);

    /// <summary>Default <see cref="ChallengeLifetime"/>: 60 s.</summary>
    public static readonly TimeSpan DefaultChallengeLifetime = TimeSpan.FromSeconds(60);

    /// <summary>Default <see cref="AssignmentLifetime"/>: 5 min.</summary>
    public static readonly TimeSpan DefaultAssignmentLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Default <see cref="AccessTokenLifetime"/>: 15 min.</summary>
    public static readonly TimeSpan DefaultAccessTokenLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Default <see cref="RefreshTokenLifetime"/>: 7 days.</summary>
    public static readonly TimeSpan DefaultRefreshTokenLifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// Where the server keeps its certificate authority (<c>ca.key</c>, mode 0600, and <c>ca.crt</c>).
    /// Created on first start. When null, the CA lives only in memory: certificates issued before a
    /// restart no longer verify (for tests).
    /// </summary>
    public string? CertificateAuthorityDirectory { get; set; }

    /// <summary>How long a bootstrap token lives when its creator gives no TTL. Default 1 h.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan BootstrapTokenLifetime { get; set; } = DefaultBootstrapTokenLifetime;

    /// <summary>How long an issued node certificate is valid. Default 30 days.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan CertificateLifetime { get; set; } = DefaultCertificateLifetime;

    /// <summary>A node whose certificate expires within this window gets a new one when it asks (no admin needed). Default 10 days.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan CertificateRenewalWindow { get; set; } = DefaultCertificateRenewalWindow;

    /// <summary>How long a connection challenge (nonce) may be answered. Default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ChallengeLifetime { get; set; } = DefaultChallengeLifetime;

    /// <summary>How long an assignment sent to an agent is valid: after it, or when its nonce was seen, the agent refuses it. Default 5 min.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AssignmentLifetime { get; set; } = DefaultAssignmentLifetime;

    /// <summary>How long a user's JWT access token is valid. Default 15 min.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = DefaultAccessTokenLifetime;

    /// <summary>How long a refresh token is valid (each use rotates it). Default 7 days.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "365.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = DefaultRefreshTokenLifetime;

    /// <summary>
    /// Enrollment requests, challenges and status queries one remote address may make per minute. Every
    /// node connection takes a challenge, so this bounds reconnects from one address (many nodes behind
    /// one NAT share it). Default 1,200.
    /// </summary>
    [Range(1, 1_000_000)]
    public int EnrollmentPermitsPerMinute { get; set; } = 1200;

    /// <summary>Login and refresh attempts one remote address may make per minute. Default 10.</summary>
    [Range(1, 1_000_000)]
    public int LoginPermitsPerMinute { get; set; } = 10;

    /// <summary>
    /// Failed logins one address may make for one account per minute; then that address may not try that
    /// account until the minute is over, while a correct password from another address still gets in. Default 5.
    /// </summary>
    [Range(1, 1_000_000)]
    public int LoginFailuresPerAccount { get; set; } = 5;

    /// <summary>
    /// Failed logins one account may take per minute from all addresses together; beyond that only
    /// addresses that have not failed for it may still try (bounds guessing spread over many addresses). Default 20.
    /// </summary>
    [Range(1, 1_000_000)]
    public int LoginFailuresPerAccountAllAddresses { get; set; } = 20;

    /// <summary>API calls one identity (user, API key or address) may make per minute. Default 6,000.</summary>
    [Range(1, 10_000_000)]
    public int ApiPermitsPerMinute { get; set; } = 6000;

    /// <summary>
    /// The capability each command requires of the node that runs it. A command not listed requires
    /// the capability named like the command itself. A node's grant matches a required capability when
    /// it is equal, <c>*</c>, or a prefix ending in <c>.*</c> (<c>file.*</c> grants <c>file.read</c>).
    /// Agents connected with a shared token (development) are not restricted.
    /// </summary>
    public IDictionary<string, string> CommandCapabilities { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Lets unauthenticated <c>/api</c> requests from loopback addresses act as admin. Default false.
    /// For tests and a developer's own machine; never reachable from other hosts unless
    /// <see cref="InsecureDevelopmentMode"/> is also set.
    /// </summary>
    public bool AllowAnonymousLoopbackApi { get; set; }

    /// <summary>
    /// Development mode, asked for by name: lets unauthenticated API requests in from any address
    /// (with <see cref="AllowAnonymousLoopbackApi"/>). The server logs a warning at start. Default false.
    /// </summary>
    public bool InsecureDevelopmentMode { get; set; }

    /// <summary>
    /// Lets operators, not only admins, upload WebAssembly modules (<c>POST /api/modules/{name}</c>).
    /// Default false: uploading code that agents run is an admin's decision.
    /// </summary>
    public bool OperatorsMayUploadModules { get; set; }
}
