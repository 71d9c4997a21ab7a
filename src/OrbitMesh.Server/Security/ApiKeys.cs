using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>API keys in the <see cref="ISecurityStore"/> (kind <c>apikey</c>), stored hashed.</summary>
internal sealed class ApiKeys(ISecurityStore store, TimeProvider time)
{
    public const string Prefix = "omk";

    public async Task<CreatedApiKey> CreateAsync(string name, string role, string? createdBy, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var (id, secret, token) = SecretTokens.Create(Prefix);
            var record = new ApiKeyRecord(id, name, role, SecretTokens.Hash(secret), time.GetUtcNow(), createdBy, expiresAt);
            if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.ApiKey, id, record), cancellationToken).ConfigureAwait(false))
            {
                return new CreatedApiKey(id, name, role, token, expiresAt);
            }
        }
    }

    /// <summary>True once the key's expiry (if it has one) has come, on the injected clock.</summary>
    public bool HasExpired(ApiKeyRecord record) => record.ExpiresAt is { } expires && expires <= time.GetUtcNow();

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(SecurityKinds.ApiKey, cancellationToken).ConfigureAwait(false))
            .Select(d => SecurityKinds.Read<ApiKeyRecord>(d))
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Role, k.CreatedAt, k.CreatedBy, k.ExpiresAt, HasExpired(k)))
            .ToList();

    public ValueTask<bool> RevokeAsync(string id, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(SecurityKinds.ApiKey, id, cancellationToken);

    /// <summary>The audit actor of a key created by the user <paramref name="username"/>.</summary>
    public static string CreatorOf(string username) => "user:" + username;

    /// <summary>
    /// The user who created a key, when a user did (not the static key, another key or anonymous
    /// development access): a key never outlives its creator's account.
    /// </summary>
    public static string? CreatingUser(ApiKeyRecord record) =>
        record.CreatedBy is { } by && by.StartsWith("user:", StringComparison.Ordinal) ? by["user:".Length..] : null;

    /// <summary>Revokes every key the user <paramref name="username"/> created (the user was deleted).</summary>
    public async Task<int> RevokeCreatedByAsync(string username, CancellationToken cancellationToken = default)
    {
        var count = 0;
        foreach (var document in await store.ListAsync(SecurityKinds.ApiKey, cancellationToken).ConfigureAwait(false))
        {
            var record = SecurityKinds.Read<ApiKeyRecord>(document);
            if (CreatingUser(record) == username && await store.DeleteAsync(SecurityKinds.ApiKey, record.Id, cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The key's record when <paramref name="presented"/> is a valid key; else null.</summary>
    public async Task<ApiKeyRecord?> ValidateAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (!SecretTokens.TryParse(Prefix, presented, out var id, out var secret))
        {
            return null;
        }

        var document = await store.GetAsync(SecurityKinds.ApiKey, id, cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            return null;
        }

        var record = SecurityKinds.Read<ApiKeyRecord>(document);
        return SecretTokens.Matches(secret, record.SecretHash) ? record : null;
    }
}
