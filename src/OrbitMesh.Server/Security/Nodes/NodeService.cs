using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrbitMesh.Protocol;
using OrbitMesh.Security;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// Enrolled nodes: trust-on-first-use enrollment with admin approval, certificates from the server's CA,
/// proof of key possession, renewal, rejection, revocation and removal. A node's record is the source of
/// truth: its grants come only from its approval, and a node id enrolled again after removal starts empty.
/// </summary>
internal sealed class NodeService(
    ISecurityStore store,
    BootstrapTokenService tokens,
    CertificateAuthority authority,
    NodeChallenges challenges,
    NodeConnections connections,
    SecurityAudit audit,
    IOptions<OrbitMeshServerOptions> options,
    TimeProvider time)
{
    public const string Kind = SecurityKinds.Node;

    private readonly SecurityOptions _security = options.Value.Security;

    // Nodes revoked or removed by this server since it started: a connection that authenticated just
    // before the revocation and registers just after is closed by this check (see AgentHub).
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);

    public NodeChallenges Challenges => challenges;

    public bool RevokedSinceStart(string nodeId) => _revoked.ContainsKey(nodeId);

    public async Task<(EnrollmentStatus? Status, int Code, string? Problem)> RequestAsync(EnrollmentRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        byte[] publicKey;
        try
        {
            publicKey = Convert.FromBase64String(request.PublicKey ?? string.Empty);
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(publicKey, out var read);
            if (read != publicKey.Length || key.KeySize != 256)
            {
                throw new CryptographicException("not a P-256 key");
            }
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return (null, StatusCodes.Status400BadRequest, "publicKey must be an ECDSA P-256 public key (SubjectPublicKeyInfo DER, base64).");
        }

        var nodeId = request.NodeId ?? "node-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        if (!RegistrationValidator.IsValidAgentId(nodeId))
        {
            return (null, StatusCodes.Status400BadRequest, "nodeId is not valid: " + RegistrationValidator.AgentIdRule);
        }

        var requested = request.Capabilities ?? [];
        if (CapabilityNames.Invalid(requested) is { } bad)
        {
            return (null, StatusCodes.Status400BadRequest, bad);
        }

        if (request.Name is { Length: > ProtocolLimits.MaxIdentifierLength })
        {
            return (null, StatusCodes.Status400BadRequest, $"name must be at most {ProtocolLimits.MaxIdentifierLength} characters.");
        }

        if (await GetRecordAsync(nodeId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            // Nobody takes over an enrolled id, not even with a valid token: an admin removes it first.
            await audit.RecordAsync(AuditEventTypes.EnrollmentRequested, nodeId, http, success: false, reason: $"the node id is already enrolled ({existing.Record.Status})", cancellationToken: cancellationToken).ConfigureAwait(false);
            return (null, StatusCodes.Status409Conflict, $"The node id '{nodeId}' is already enrolled ({existing.Record.Status}); an admin must remove it before it can enroll again.");
        }

        var (token, refusal) = await tokens.ConsumeAsync(request.Token, http, cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            await audit.RecordAsync(AuditEventTypes.EnrollmentRequested, nodeId, http, success: false, reason: refusal, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (null, StatusCodes.Status401Unauthorized, "Enrollment refused: " + refusal + ".");
        }

        // A token that names capabilities offers only those; one that names none leaves it to the admin.
        var offered = token.Capabilities.Length == 0
            ? requested.Distinct(StringComparer.Ordinal).ToArray()
            : (requested.Count == 0 ? token.Capabilities : requested.Where(c => token.Capabilities.Any(g => CapabilityGrants.Matches(g, c))).Distinct(StringComparer.Ordinal).ToArray());
        var record = new NodeRecord
        {
            Id = nodeId,
            Name = request.Name,
            Status = NodeStatus.Pending,
            PublicKey = publicKey,
            RequestedCapabilities = [.. requested.Distinct(StringComparer.Ordinal)],
            OfferedCapabilities = offered,
            TokenId = token.Id,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            RequestedAt = time.GetUtcNow(),
        };
        if (!await store.TrySaveAsync(Document(record, 1), cancellationToken).ConfigureAwait(false))
        {
            return (null, StatusCodes.Status409Conflict, $"The node id '{nodeId}' was enrolled by another request at the same time.");
        }

        _revoked.TryRemove(nodeId, out _);
        await audit.RecordAsync(AuditEventTypes.EnrollmentRequested, nodeId, http, reason: "token " + token.Id, actor: "node:" + nodeId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (new EnrollmentStatus { NodeId = nodeId, Status = NodeStatus.Pending }, StatusCodes.Status202Accepted, null);
    }

    public async Task<(NodeView? Node, int Code, string? Problem)> ApproveAsync(string nodeId, NodeDecision decision, HttpContext http, CancellationToken cancellationToken)
    {
        var granted = decision.Capabilities;
        if (granted is not null && CapabilityNames.Invalid(granted) is { } bad)
        {
            return (null, StatusCodes.Status400BadRequest, bad);
        }

        return await UpdateAsync(nodeId, http, AuditEventTypes.EnrollmentApproved, record =>
        {
            if (record.Status != NodeStatus.Pending)
            {
                return (null, $"Node '{nodeId}' is {record.Status}, not Pending; only a pending request can be approved.");
            }

            // Approving without a list grants what the token offered of the request (older records: the request).
            var grants = (granted ?? record.OfferedCapabilities ?? record.RequestedCapabilities).Distinct(StringComparer.Ordinal).ToArray();
            return (WithCertificate(record with
            {
                Status = NodeStatus.Approved,
                GrantedCapabilities = grants,
                DecidedAt = time.GetUtcNow(),
                DecidedBy = SecurityAudit.ActorOf(http.User),
            }), null);
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<(NodeView? Node, int Code, string? Problem)> RejectAsync(string nodeId, NodeDecision decision, HttpContext http, CancellationToken cancellationToken) =>
        UpdateAsync(nodeId, http, AuditEventTypes.EnrollmentRejected, record => record.Status != NodeStatus.Pending
            ? (null, $"Node '{nodeId}' is {record.Status}, not Pending; revoke an approved node instead.")
            : (record with { Status = NodeStatus.Rejected, Reason = decision.Reason, DecidedAt = time.GetUtcNow(), DecidedBy = SecurityAudit.ActorOf(http.User) }, null),
            cancellationToken);

    public async Task<(NodeView? Node, int Code, string? Problem)> RevokeAsync(string nodeId, NodeDecision decision, HttpContext http, CancellationToken cancellationToken)
    {
        _revoked[nodeId] = 0;
        var result = await UpdateAsync(nodeId, http, AuditEventTypes.NodeRevoked, record => record.Status == NodeStatus.Revoked
            ? (record, null)
            : (record with { Status = NodeStatus.Revoked, Reason = decision.Reason, DecidedAt = time.GetUtcNow(), DecidedBy = SecurityAudit.ActorOf(http.User) }, null),
            cancellationToken).ConfigureAwait(false);
        if (result.Node is null && result.Code == StatusCodes.Status404NotFound)
        {
            _revoked.TryRemove(nodeId, out _);
        }

        connections.CloseAll(nodeId);
        return result;
    }

    /// <summary>Forgets a node (revoking it first): the id may then enroll again, with no grants until approved.</summary>
    public async Task<bool> RemoveAsync(string nodeId, HttpContext http, CancellationToken cancellationToken)
    {
        _revoked[nodeId] = 0;
        connections.CloseAll(nodeId);
        var removed = await store.DeleteAsync(Kind, nodeId, cancellationToken).ConfigureAwait(false);
        if (removed)
        {
            await audit.RecordAsync(AuditEventTypes.NodeRevoked, nodeId, http, reason: "removed", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _revoked.TryRemove(nodeId, out _);
        }

        return removed;
    }

    public async Task<NodeView?> GetAsync(string nodeId, CancellationToken cancellationToken) =>
        await GetRecordAsync(nodeId, cancellationToken).ConfigureAwait(false) is { } found ? View(found.Record) : null;

    public async Task<IReadOnlyList<NodeView>> ListAsync(NodeStatus? status, CancellationToken cancellationToken)
    {
        var documents = await store.ListAsync(Kind, cancellationToken).ConfigureAwait(false);
        return documents.Select(d => Read(d).Record).Where(r => status is null || r.Status == status).Select(View).ToList();
    }

    /// <summary>
    /// A node proves its key (purpose <c>status</c>) and learns where its enrollment stands; an approved
    /// node gets its certificate, renewed when it expires within <see cref="SecurityOptions.CertificateRenewalWindow"/>.
    /// </summary>
    public async Task<(EnrollmentStatus? Status, int Code, string? Problem)> StatusAsync(StatusRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.NodeId) || string.IsNullOrEmpty(request.Nonce) || string.IsNullOrEmpty(request.Signature))
        {
            return (null, StatusCodes.Status400BadRequest, "nodeId, nonce (from /api/enroll/challenge) and signature are required.");
        }

        var (found, refusal) = await ProveAsync(request.NodeId, request.Nonce, request.Signature, NodeProof.StatusPurpose, consume: true, requireApproved: false, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            await audit.RecordAsync(AuditEventTypes.AuthenticationFailed, request.NodeId, http, success: false, reason: refusal, actor: request.NodeId is null ? null : "node:" + request.NodeId, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (null, StatusCodes.Status401Unauthorized, "The node's proof was refused: " + refusal + ".");
        }

        var (record, version) = found.Value;
        if (record.Status == NodeStatus.Approved && record.CertificateNotAfter - time.GetUtcNow() <= _security.CertificateRenewalWindow)
        {
            var renewed = WithCertificate(record);
            if (await store.TrySaveAsync(Document(renewed, version + 1), cancellationToken).ConfigureAwait(false))
            {
                record = renewed;
                await audit.RecordAsync(AuditEventTypes.CertificateRenewed, record.Id, http, reason: "serial " + record.CertificateSerial, actor: "node:" + record.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else if (await GetRecordAsync(record.Id, cancellationToken).ConfigureAwait(false) is { } reread)
            {
                record = reread.Record; // renewed (or changed) concurrently
            }
        }

        return (new EnrollmentStatus
        {
            NodeId = record.Id,
            Status = record.Status,
            Certificate = record.Status == NodeStatus.Approved ? record.CertificatePem : null,
            CaCertificate = record.Status == NodeStatus.Approved ? authority.CertificatePem : null,
            Capabilities = record.Status == NodeStatus.Approved ? record.GrantedCapabilities : null,
            CertificateExpiresAt = record.Status == NodeStatus.Approved ? record.CertificateNotAfter : null,
            Reason = record.Reason,
        }, StatusCodes.Status200OK, null);
    }

    /// <summary>
    /// Checks a connection credential: the nonce was issued to this node and is fresh, the signature is
    /// the node's, the node is approved and its certificate unexpired, and a TLS client certificate, when
    /// presented, is one this CA issued to this node's key. Returns the node, or why not.
    /// </summary>
    public async Task<(NodeRecord? Node, string? Refusal)> AuthenticateAsync(string nodeId, string nonce, string signature, X509Certificate2? clientCertificate, bool consume, CancellationToken cancellationToken)
    {
        var (found, refusal) = await ProveAsync(nodeId, nonce, signature, NodeProof.ConnectPurpose, consume, requireApproved: true, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return (null, refusal);
        }

        var record = found.Value.Record;
        if (clientCertificate is not null)
        {
            using var presented = clientCertificate.GetECDsaPublicKey();
            if (!authority.Issued(clientCertificate, time.GetUtcNow()))
            {
                return (null, "the TLS client certificate was not issued by this server's CA, or it expired");
            }

            if (presented is null || !presented.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(record.PublicKey) || CertificateAuthority.NodeIdOf(clientCertificate) != nodeId)
            {
                return (null, "the TLS client certificate belongs to another node or key");
            }
        }

        return (record, null);
    }

    private async Task<((NodeRecord Record, long Version)? Node, string? Refusal)> ProveAsync(
        string? nodeId, string? nonce, string? signature, string purpose, bool consume, bool requireApproved, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(nodeId) || string.IsNullOrEmpty(nonce) || string.IsNullOrEmpty(signature))
        {
            return (null, "nodeId, nonce and signature are required");
        }

        if (challenges.Check(nodeId, nonce, consume) is { } stale)
        {
            return (null, stale);
        }

        if (await GetRecordAsync(nodeId, cancellationToken).ConfigureAwait(false) is not { } found)
        {
            return (null, "the node is not enrolled");
        }

        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(found.Record.PublicKey, out _);
        if (!NodeProof.Verify(key, purpose, nodeId, nonce, signature))
        {
            return (null, "the signature does not match the node's enrolled key");
        }

        var now = time.GetUtcNow();
        return found.Record.Status switch
        {
            NodeStatus.Revoked => (null, "the node was revoked"),
            NodeStatus.Rejected when requireApproved => (null, "the node's enrollment was rejected"),
            NodeStatus.Pending when requireApproved => (null, "the node is not approved yet"),
            NodeStatus.Approved when found.Record.CertificateNotAfter <= now => (null, $"the node's certificate expired at {found.Record.CertificateNotAfter:O}; it must enroll again"),
            _ => (found, null),
        };
    }

    private NodeRecord WithCertificate(NodeRecord record)
    {
        using var certificate = authority.Issue(record.Id, record.PublicKey, record.GrantedCapabilities, time.GetUtcNow() + _security.CertificateLifetime);
        return record with
        {
            CertificatePem = certificate.ExportCertificatePem(),
            CertificateSerial = certificate.SerialNumber,
            CertificateNotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime()),
        };
    }

    private async Task<(NodeView? Node, int Code, string? Problem)> UpdateAsync(
        string nodeId, HttpContext http, string auditType, Func<NodeRecord, (NodeRecord? Updated, string? Problem)> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (await GetRecordAsync(nodeId, cancellationToken).ConfigureAwait(false) is not { } found)
            {
                return (null, StatusCodes.Status404NotFound, $"No node with id '{nodeId}' is enrolled.");
            }

            var (updated, problem) = change(found.Record);
            if (updated is null)
            {
                return (null, StatusCodes.Status409Conflict, problem);
            }

            if (ReferenceEquals(updated, found.Record) || await store.TrySaveAsync(Document(updated, found.Version + 1), cancellationToken).ConfigureAwait(false))
            {
                if (!ReferenceEquals(updated, found.Record))
                {
                    var detail = updated.Status == NodeStatus.Approved ? "granted " + string.Join(",", updated.GrantedCapabilities) : updated.Reason;
                    await audit.RecordAsync(auditType, nodeId, http, reason: detail, cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                return (View(updated), StatusCodes.Status200OK, null);
            }
        }

        return (null, StatusCodes.Status409Conflict, $"Node '{nodeId}' kept changing; try again.");
    }

    private async Task<(NodeRecord Record, long Version)?> GetRecordAsync(string nodeId, CancellationToken cancellationToken) =>
        await store.GetAsync(Kind, nodeId, cancellationToken).ConfigureAwait(false) is { } document ? Read(document) : null;

    private static NodeView View(NodeRecord record) => new()
    {
        Id = record.Id,
        Name = record.Name,
        Status = record.Status,
        RequestedCapabilities = record.RequestedCapabilities,
        OfferedCapabilities = record.OfferedCapabilities ?? record.RequestedCapabilities,
        GrantedCapabilities = record.GrantedCapabilities,
        KeyFingerprint = Convert.ToHexStringLower(SHA256.HashData(record.PublicKey)),
        TokenId = record.TokenId,
        RemoteAddress = record.RemoteAddress,
        RequestedAt = record.RequestedAt,
        DecidedAt = record.DecidedAt,
        DecidedBy = record.DecidedBy,
        Reason = record.Reason,
        CertificateSerial = record.CertificateSerial,
        CertificateExpiresAt = record.CertificatePem is null ? null : record.CertificateNotAfter,
    };

    private static SecurityDocument Document(NodeRecord record, long version) => SecurityKinds.Document(Kind, record.Id, record, version);

    private static (NodeRecord Record, long Version) Read(SecurityDocument document) => (SecurityKinds.Read<NodeRecord>(document), document.Version);

    internal sealed record NodeRecord
    {
        public required string Id { get; init; }

        public string? Name { get; init; }

        public NodeStatus Status { get; init; }

        public required byte[] PublicKey { get; init; }

        public string[] RequestedCapabilities { get; init; } = [];

        /// <summary>What the bootstrap token allows of the request: the default grant. Null in records made before it existed.</summary>
        public string[]? OfferedCapabilities { get; init; }

        public string[] GrantedCapabilities { get; init; } = [];

        public string? TokenId { get; init; }

        public string? RemoteAddress { get; init; }

        public DateTimeOffset RequestedAt { get; init; }

        public DateTimeOffset? DecidedAt { get; init; }

        public string? DecidedBy { get; init; }

        public string? Reason { get; init; }

        public string? CertificatePem { get; init; }

        public string? CertificateSerial { get; init; }

        public DateTimeOffset CertificateNotAfter { get; init; }
    }
}
