using Microsoft.Extensions.Options;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>The outcome of presenting a refresh token.</summary>
internal enum RefreshOutcome
{
    Rotated,
    Invalid,
    Expired,
    Reused,
}

/// <summary>
/// Refresh tokens (<c>omr_ID_SECRET</c>) in the <see cref="ISecurityStore"/> (kind <c>refresh</c>). Each
/// use rotates: the presented token is marked used (compare-and-swap, so only one of two concurrent
/// uses wins) and a new one of the same family is issued. Presenting a used token again means it
/// leaked: the whole family is revoked.
/// </summary>
internal sealed class RefreshTokens(ISecurityStore store, TimeProvider time, IOptions<OrbitMeshServerOptions> options)
{
    public const string Prefix = "omr";

    private readonly TimeSpan _lifetime = options.Value.Security.RefreshTokenLifetime;

    public Task<(string Token, DateTimeOffset ExpiresAt)> IssueAsync(string username, CancellationToken cancellationToken = default) =>
        IssueAsync(username, family: null, cancellationToken);

    public async Task<(RefreshOutcome Outcome, string? Username, string? Token, DateTimeOffset ExpiresAt)> RotateAsync(string presented, CancellationToken cancellationToken = default)
    {
        var (document, record) = await FindAsync(presented, cancellationToken).ConfigureAwait(false);
        if (document is null || record is null || record.Revoked)
        {
            return (RefreshOutcome.Invalid, record?.Username, null, default);
        }

        if (record.Used)
        {
            await RevokeFamilyAsync(record.Family, cancellationToken).ConfigureAwait(false);
            return (RefreshOutcome.Reused, record.Username, null, default);
        }

        if (record.ExpiresAt <= time.GetUtcNow())
        {
            return (RefreshOutcome.Expired, record.Username, null, default);
        }

        var used = SecurityKinds.Document(SecurityKinds.Refresh, document.Id, record with { Used = true }, document.Version + 1);
        if (!await store.TrySaveAsync(used, cancellationToken).ConfigureAwait(false))
        {
            // Another request used it first: the same token presented twice.
            await RevokeFamilyAsync(record.Family, cancellationToken).ConfigureAwait(false);
            return (RefreshOutcome.Reused, record.Username, null, default);
        }

        var (token, expiresAt) = await IssueAsync(record.Username, record.Family, cancellationToken).ConfigureAwait(false);
        return (RefreshOutcome.Rotated, record.Username, token, expiresAt);
    }

    /// <summary>Revokes one token (logout). Its username when it was a valid token.</summary>
    public async Task<string?> RevokeAsync(string presented, CancellationToken cancellationToken = default)
    {
        var (document, record) = await FindAsync(presented, cancellationToken).ConfigureAwait(false);
        if (document is null || record is null)
        {
            return null;
        }

        await store.DeleteAsync(SecurityKinds.Refresh, record.Id, cancellationToken).ConfigureAwait(false);
        return record.Username;
    }

    /// <summary>Removes every refresh token of a user (the user was deleted).</summary>
    public async Task<int> RevokeUserAsync(string username, CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var record in await AllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Username == username && await store.DeleteAsync(SecurityKinds.Refresh, record.Id, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }

        return count;
    }

    private async Task RevokeFamilyAsync(string family, CancellationToken cancellationToken)
    {
        foreach (var record in await AllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (record.Family == family)
            {
                await store.DeleteAsync(SecurityKinds.Refresh, record.Id, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<RefreshTokenRecord>> AllAsync(CancellationToken cancellationToken) =>
        (await store.ListAsync(SecurityKinds.Refresh, cancellationToken).ConfigureAwait(false))
            .Select(d => SecurityKinds.Read<RefreshTokenRecord>(d))
            .ToList();

    private async Task<(SecurityDocument? Document, RefreshTokenRecord? Record)> FindAsync(string presented, CancellationToken cancellationToken)
    {
        if (!SecretTokens.TryParse(Prefix, presented, out var id, out var secret))
        {
            return (null, null);
        }

        var document = await store.GetAsync(SecurityKinds.Refresh, id, cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            return (null, null);
        }

        var record = SecurityKinds.Read<RefreshTokenRecord>(document);
        return SecretTokens.Matches(secret, record.SecretHash) ? (document, record) : (null, null);
    }

    private async Task<(string Token, DateTimeOffset ExpiresAt)> IssueAsync(string username, string? family, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (id, secret, token) = SecretTokens.Create(Prefix);
            var now = time.GetUtcNow();
            var record = new RefreshTokenRecord(id, username, family ?? id, SecretTokens.Hash(secret), now, now + _lifetime);
            if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.Refresh, id, record), cancellationToken).ConfigureAwait(false))
            {
                return (token, record.ExpiresAt);
            }
        }
    }
}
