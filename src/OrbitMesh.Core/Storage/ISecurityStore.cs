namespace OrbitMesh.Storage;

/// <summary>
/// One security record (a bootstrap token, a node, a user, a refresh token, an API key, a signing
/// key): its kind, its id within the kind, its version and its JSON body. Writers replace a record
/// only at the version they read, so two servers (or two requests) cannot both use a single-use token.
/// </summary>
public sealed record SecurityDocument
{
    /// <summary>The record's kind, e.g. <c>token</c>, <c>node</c>, <c>user</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The record's id within its kind.</summary>
    public required string Id { get; init; }

    /// <summary>1 for a new record; each replacement adds 1.</summary>
    public long Version { get; init; } = 1;

    /// <summary>The record's body (JSON).</summary>
    public required string Data { get; init; }
}

/// <summary>One security event in the audit trail.</summary>
public sealed record AuditEntry
{
    /// <summary>Its position in the trail, assigned by the store (1, 2, ...).</summary>
    public long Sequence { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>What happened, e.g. <c>token.created</c>, <c>enrollment.approved</c>, <c>auth.failed</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Who did it: a user (<c>user:alice</c>), an API key (<c>apikey:ID</c>), a node (<c>node:ID</c>), or null when unknown.</summary>
    public string? Actor { get; init; }

    /// <summary>What it was done to: a token id, a node id, a user name.</summary>
    public string? Subject { get; init; }

    /// <summary>False for refusals.</summary>
    public bool Success { get; init; } = true;

    /// <summary>Why, for refusals; a short detail otherwise.</summary>
    public string? Reason { get; init; }

    /// <summary>The remote address of the request, when there was one.</summary>
    public string? RemoteAddress { get; init; }
}

/// <summary>A query of the audit trail: newest first.</summary>
public sealed record AuditQuery
{
    /// <summary>Only entries of this type (or, ending in <c>.*</c>, this type prefix).</summary>
    public string? Type { get; init; }

    /// <summary>Only entries about this subject.</summary>
    public string? Subject { get; init; }

    /// <summary>Only entries at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only entries before this sequence (paging backwards).</summary>
    public long? Before { get; init; }

    /// <summary>At most this many entries (1 to 1,000). Default 100.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>Durable security state: versioned records and the append-only audit trail.</summary>
public interface ISecurityStore
{
    /// <summary>One record, or null.</summary>
    ValueTask<SecurityDocument?> GetAsync(string kind, string id, CancellationToken cancellationToken = default);

    /// <summary>Every record of a kind, ordered by id.</summary>
    ValueTask<IReadOnlyList<SecurityDocument>> ListAsync(string kind, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="document"/> when the stored record is at <c>document.Version - 1</c>
    /// (absent for version 1). False, with nothing changed, when another writer got there first.
    /// </summary>
    ValueTask<bool> TrySaveAsync(SecurityDocument document, CancellationToken cancellationToken = default);

    /// <summary>Removes a record. False when it was not there.</summary>
    ValueTask<bool> DeleteAsync(string kind, string id, CancellationToken cancellationToken = default);

    /// <summary>Appends an entry to the audit trail and returns it with its sequence number.</summary>
    ValueTask<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Entries matching <paramref name="query"/>, newest first.</summary>
    ValueTask<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
