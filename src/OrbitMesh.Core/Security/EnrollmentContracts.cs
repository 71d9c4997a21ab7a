using System.Text.Json.Serialization;

namespace OrbitMesh.Security;

/// <summary>Enrollment status of a node (written as its name in JSON).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<NodeStatus>))]
public enum NodeStatus
{
    /// <summary>Asked to join; waits for an admin.</summary>
    Pending,

    /// <summary>Approved: it holds a certificate and may connect.</summary>
    Approved,

    /// <summary>An admin rejected its request.</summary>
    Rejected,

    /// <summary>An admin revoked it: it can no longer connect.</summary>
    Revoked,
}

/// <summary><c>POST /api/enroll</c>: a node asks to join with a bootstrap token and its public key.</summary>
public sealed record EnrollmentRequest
{
    /// <summary>The bootstrap token an admin created.</summary>
    public string? Token { get; init; }

    /// <summary>The id the node wants; the server assigns one when null.</summary>
    public string? NodeId { get; init; }

    /// <summary>A human-readable name.</summary>
    public string? Name { get; init; }

    /// <summary>The node's ECDSA P-256 public key, SubjectPublicKeyInfo DER, base64.</summary>
    public string? PublicKey { get; init; }

    /// <summary>Capabilities the node asks for (the admin decides what it gets).</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }
}

/// <summary>The answer to an enrollment request, and to a status query.</summary>
public sealed record EnrollmentStatus
{
    /// <summary>The node's id.</summary>
    public required string NodeId { get; init; }

    /// <summary>Where its enrollment stands.</summary>
    public NodeStatus Status { get; init; }

    /// <summary>When approved: its certificate (PEM), binding its id and granted capabilities to its key.</summary>
    public string? Certificate { get; init; }

    /// <summary>When approved: the server's CA certificate (PEM).</summary>
    public string? CaCertificate { get; init; }

    /// <summary>When approved: the capabilities granted.</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>When approved: the certificate's expiry.</summary>
    public DateTimeOffset? CertificateExpiresAt { get; init; }

    /// <summary>Why, when rejected or revoked.</summary>
    public string? Reason { get; init; }
}

/// <summary><c>POST /api/enroll/challenge</c>: a node asks for a nonce to sign.</summary>
/// <param name="NodeId">The node.</param>
public sealed record ChallengeRequest(string? NodeId);

/// <summary>A nonce to sign, valid once, until <paramref name="ExpiresAt"/>.</summary>
/// <param name="Nonce">The nonce (base64url).</param>
/// <param name="ExpiresAt">When it can no longer be used.</param>
public sealed record NodeChallenge(string Nonce, DateTimeOffset ExpiresAt);

/// <summary><c>POST /api/enroll/status</c>: a node proves its key and asks where its enrollment stands.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Nonce">A nonce from the challenge endpoint.</param>
/// <param name="Signature">The proof (see <see cref="NodeProof"/>) with purpose <c>status</c>.</param>
public sealed record StatusRequest(string? NodeId, string? Nonce, string? Signature);

/// <summary><c>POST /api/tokens</c>: create a bootstrap token.</summary>
public sealed record BootstrapTokenRequest
{
    /// <summary>Lifetime in seconds; the server's default (1 h) when null.</summary>
    public double? TtlSeconds { get; init; }

    /// <summary>How many enrollments it allows. Default 1.</summary>
    public int? Uses { get; init; }

    /// <summary>Capabilities nodes enrolled with it are offered (the admin confirms at approval).</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>A note for admins.</summary>
    public string? Description { get; init; }
}

/// <summary>A bootstrap token as listed (never with its secret).</summary>
public sealed record BootstrapTokenView
{
    /// <summary>Its id.</summary>
    public required string Id { get; init; }

    /// <summary>The token itself: only in the answer that created it.</summary>
    public string? Token { get; init; }

    /// <summary><c>active</c>, <c>expired</c>, <c>used</c> or <c>revoked</c>.</summary>
    public required string State { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Enrollments it allows in all.</summary>
    public int Uses { get; init; }

    /// <summary>Enrollments left.</summary>
    public int UsesLeft { get; init; }

    /// <summary>Capabilities it offers.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Who created it.</summary>
    public string? CreatedBy { get; init; }

    /// <summary>A note for admins.</summary>
    public string? Description { get; init; }
}

/// <summary><c>POST /api/nodes/{id}/approve</c> and <c>/reject</c>.</summary>
public sealed record NodeDecision
{
    /// <summary>On approval: the capabilities to grant; those requested (within the token's) when null.</summary>
    public IReadOnlyList<string>? Capabilities { get; init; }

    /// <summary>On rejection or revocation: why.</summary>
    public string? Reason { get; init; }
}

/// <summary>A node as admins see it.</summary>
public sealed record NodeView
{
    /// <summary>Its id.</summary>
    public required string Id { get; init; }

    /// <summary>Its name.</summary>
    public string? Name { get; init; }

    /// <summary>Where its enrollment stands.</summary>
    public NodeStatus Status { get; init; }

    /// <summary>Capabilities it asked for, as it asked.</summary>
    public IReadOnlyList<string> RequestedCapabilities { get; init; } = [];

    /// <summary>
    /// What its bootstrap token allows of the request (all of it when the token names no capabilities; the
    /// token's own when the node asked for none): what approving without a list grants.
    /// </summary>
    public IReadOnlyList<string> OfferedCapabilities { get; init; } = [];

    /// <summary>Capabilities it was granted (empty until approved).</summary>
    public IReadOnlyList<string> GrantedCapabilities { get; init; } = [];

    /// <summary>SHA-256 of its public key (hex), to compare with what the node prints.</summary>
    public required string KeyFingerprint { get; init; }

    /// <summary>The bootstrap token it used.</summary>
    public string? TokenId { get; init; }

    /// <summary>Where the request came from.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>When it asked.</summary>
    public DateTimeOffset RequestedAt { get; init; }

    /// <summary>When an admin decided.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Who decided.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>Why it was rejected or revoked.</summary>
    public string? Reason { get; init; }

    /// <summary>Its current certificate's serial number (hex).</summary>
    public string? CertificateSerial { get; init; }

    /// <summary>When its current certificate expires.</summary>
    public DateTimeOffset? CertificateExpiresAt { get; init; }
}
