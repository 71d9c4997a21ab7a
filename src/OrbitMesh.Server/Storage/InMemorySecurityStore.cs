using OrbitMesh.Storage;

namespace OrbitMesh.Server.Storage;

/// <summary>Security records and the audit trail in memory: nothing survives a restart. For tests only.</summary>
public sealed class InMemorySecurityStore : ISecurityStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Kind, string Id), SecurityDocument> _documents = [];
    private readonly List<AuditEntry> _audit = [];

    /// <inheritdoc />
    public ValueTask<SecurityDocument?> GetAsync(string kind, string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_documents.TryGetValue((kind, id), out var document) ? document : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SecurityDocument>> ListAsync(string kind, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<SecurityDocument>>(
                _documents.Values.Where(d => d.Kind == kind).OrderBy(d => d.Id, StringComparer.Ordinal).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TrySaveAsync(SecurityDocument document, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        lock (_gate)
        {
            var current = _documents.TryGetValue((document.Kind, document.Id), out var stored) ? stored.Version : 0;
            if (current != document.Version - 1)
            {
                return ValueTask.FromResult(false);
            }

            _documents[(document.Kind, document.Id)] = document;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string kind, string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_documents.Remove((kind, id)));
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditEntry> AppendAuditAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            var stored = entry with { Sequence = _audit.Count + 1 };
            _audit.Add(stored);
            return ValueTask.FromResult(stored);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            IEnumerable<AuditEntry> entries = _audit;
            return ValueTask.FromResult<IReadOnlyList<AuditEntry>>(entries.Reverse().Where(query.Matches).Take(query.EffectiveLimit()).ToList());
        }
    }
}
