namespace OrbitMesh.Storage;

/// <summary>How providers apply an <see cref="AuditQuery"/> to entries they filter in memory.</summary>
public static class AuditQueryExtensions
{
    /// <summary>The largest <see cref="AuditQuery.Limit"/>: 1,000.</summary>
    public const int MaxLimit = 1000;

    /// <summary>The limit clamped to 1..<see cref="MaxLimit"/>.</summary>
    public static int EffectiveLimit(this AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Math.Clamp(query.Limit, 1, MaxLimit);
    }

    /// <summary>True when <paramref name="entry"/> passes every filter of <paramref name="query"/>.</summary>
    public static bool Matches(this AuditQuery query, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(entry);
        if (query.Type is { } type)
        {
            var matches = type.EndsWith(".*", StringComparison.Ordinal)
                ? entry.Type.StartsWith(type[..^1], StringComparison.Ordinal)
                : entry.Type == type;
            if (!matches)
            {
                return false;
            }
        }

        return (query.Subject is null || entry.Subject == query.Subject)
            && (query.Since is null || entry.Timestamp >= query.Since)
            && (query.Before is null || entry.Sequence < query.Before);
    }
}
