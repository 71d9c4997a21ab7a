using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrbitMesh.Security;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// One-time bootstrap tokens (<c>omb_{id}_{secret}</c>, see <see cref="SecretTokens"/>): created by an
/// admin, stored as a SHA-256 hash of the secret, expiring, single-use unless created with more uses, listable and revocable. Uses are
/// counted with compare-and-swap on the stored record, so a token is never used more often than allowed,
/// even by concurrent requests to several servers.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SemaphoreSlim without a wait handle needs no disposal.")]
internal sealed class BootstrapTokenService(ISecurityStore store, SecurityAudit audit, IOptions<OrbitMeshServerOptions> options, TimeProvider time)
{
    public const string Kind = SecurityKinds.BootstrapToken;
    public const int MaxUses = 100_000;
    private const string Prefix = "omb";

    // Uses are counted with compare-and-swap (correct across servers); inside one server they also queue
    // here, so a burst of enrollments with one multi-use token does not spin on conflicts.
    private readonly SemaphoreSlim _consume = new(1, 1);

    public async Task<(BootstrapTokenView? Token, string? Problem)> CreateAsync(BootstrapTokenRequest request, HttpContext http, CancellationToken cancellationToken)
    {
        var ttl = request.TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.Value.Security.BootstrapTokenLifetime;
        if (request.TtlSeconds is { } s && (double.IsNaN(s) || s < 1 || s > TimeSpan.FromDays(365).TotalSeconds))
        {
            return (null, "ttlSeconds must be between 1 and 31536000 (365 days).");
        }

        var uses = request.Uses ?? 1;
        if (uses is < 1 or > MaxUses)
        {
            return (null, $"uses must be between 1 and {MaxUses}.");
        }

        var capabilities = request.Capabilities ?? [];
        if (CapabilityNames.Invalid(capabilities) is { } bad)
        {
            return (null, bad);
        }

        if (request.Description is { Length: > 200 })
        {
            return (null, "description must be at most 200 characters.");
        }

        var (id, secret, token) = SecretTokens.Create(Prefix);
        var now = time.GetUtcNow();
        var record = new TokenRecord
        {
            Id = id,
            SecretHash = SecretTokens.Hash(secret),
            CreatedAt = now,
            ExpiresAt = now + ttl,
            Uses = uses,
            UsesLeft = uses,
            Capabilities = capabilities.Distinct(StringComparer.Ordinal).ToArray(),
            CreatedBy = SecurityAudit.ActorOf(http.User),
            Description = request.Description,
        };
        if (!await store.TrySaveAsync(Document(record, 1), cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A bootstrap token id collided; try again.");
        }

        await audit.RecordAsync(AuditEventTypes.TokenCreated, id, http, reason: $"uses={uses} expires={record.ExpiresAt:O}", cancellationToken: cancellationToken).ConfigureAwait(false);
        return (View(record, now) with { Token = token }, null);
    }

    public async Task<IReadOnlyList<BootstrapTokenView>> ListAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var documents = await store.ListAsync(Kind, cancellationToken).ConfigureAwait(false);
        return documents.Select(d => View(Read(d).Record, now)).OrderByDescending(t => t.CreatedAt).ToList();
    }

    /// <summary>Revokes a token. False when no such token exists.</summary>
    public async Task<bool> RevokeAsync(string id, HttpContext http, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await store.GetAsync(Kind, id, cancellationToken).ConfigureAwait(false) is not { } document)
            {
                return false;
            }

            var (record, version) = Read(document);
            if (record.Revoked)
            {
                return true;
            }

            if (await store.TrySaveAsync(Document(record with { Revoked = true, RevokedAt = time.GetUtcNow() }, version + 1), cancellationToken).ConfigureAwait(false))
            {
                await audit.RecordAsync(AuditEventTypes.TokenRevoked, id, http, cancellationToken: cancellationToken).ConfigureAwait(false);
                return true;
            }
        }
    }

    /// <summary>
    /// Uses one enrollment of <paramref name="token"/>. Returns the token's record, or why it cannot be
    /// used (unknown, malformed, expired, revoked, used up); every refusal is audited.
    /// </summary>
    public async Task<(TokenRecord? Token, string? Refusal)> ConsumeAsync(string? token, HttpContext http, CancellationToken cancellationToken)
    {
        string? id = null;
        TokenRecord? used = null;
        string? refusal;
        if (token is null || !SecretTokens.TryParse(Prefix, token, out id, out var secret))
        {
            refusal = "the bootstrap token is malformed (expected omb_<id>_<secret>)";
        }
        else
        {
            await _consume.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                (used, refusal) = await UseAsync(id, secret, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _consume.Release();
            }
        }

        await audit.RecordAsync(AuditEventTypes.TokenUsed, id, http, success: used is not null, reason: refusal, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (used, refusal);
    }

    private async Task<(TokenRecord? Used, string? Refusal)> UseAsync(string id, string secret, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await store.GetAsync(Kind, id, cancellationToken).ConfigureAwait(false) is not { } document)
            {
                return (null, "the bootstrap token is unknown");
            }

            var (record, version) = Read(document);
            var now = time.GetUtcNow();
            var refusal = !SecretTokens.Matches(secret, record.SecretHash) ? "the bootstrap token is unknown"
                : record.Revoked ? "the bootstrap token was revoked"
                : record.ExpiresAt <= now ? $"the bootstrap token expired at {record.ExpiresAt:O}"
                : record.UsesLeft <= 0 ? "the bootstrap token was already used"
                : null;
            if (refusal is not null)
            {
                return (null, refusal);
            }

            var used = record with { UsesLeft = record.UsesLeft - 1 };
            if (await store.TrySaveAsync(Document(used, version + 1), cancellationToken).ConfigureAwait(false))
            {
                return (used, null);
            }
        }

        return (null, "the bootstrap token is busy; try again");
    }

    private static BootstrapTokenView View(TokenRecord record, DateTimeOffset now) => new()
    {
        Id = record.Id,
        State = record.Revoked ? "revoked" : record.UsesLeft <= 0 ? "used" : record.ExpiresAt <= now ? "expired" : "active",
        CreatedAt = record.CreatedAt,
        ExpiresAt = record.ExpiresAt,
        Uses = record.Uses,
        UsesLeft = record.UsesLeft,
        Capabilities = record.Capabilities,
        CreatedBy = record.CreatedBy,
        Description = record.Description,
    };

    private static SecurityDocument Document(TokenRecord record, long version) => SecurityKinds.Document(Kind, record.Id, record, version);

    private static (TokenRecord Record, long Version) Read(SecurityDocument document) => (SecurityKinds.Read<TokenRecord>(document), document.Version);

    internal sealed record TokenRecord
    {
        public required string Id { get; init; }

        public required string SecretHash { get; init; }

        public DateTimeOffset CreatedAt { get; init; }

        public DateTimeOffset ExpiresAt { get; init; }

        public int Uses { get; init; }

        public int UsesLeft { get; init; }

        public string[] Capabilities { get; init; } = [];

        public bool Revoked { get; init; }

        public DateTimeOffset? RevokedAt { get; init; }

        public string? CreatedBy { get; init; }

        public string? Description { get; init; }
    }
}

/// <summary>Validation of capability names in security requests.</summary>
internal static class CapabilityNames
{
    public const int MaxCount = 64;

    /// <summary>Null when every name is acceptable, otherwise the problem.</summary>
    public static string? Invalid(IReadOnlyList<string> capabilities)
    {
        if (capabilities.Count > MaxCount)
        {
            return $"At most {MaxCount} capabilities may be given.";
        }

        foreach (var capability in capabilities)
        {
            if (string.IsNullOrWhiteSpace(capability) || capability.Length > 128 || capability.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            {
                var shown = new string((capability ?? string.Empty).Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
                return $"The capability '{shown}' is not valid: 1 to 128 characters, no spaces or control characters.";
            }
        }

        return null;
    }
}
