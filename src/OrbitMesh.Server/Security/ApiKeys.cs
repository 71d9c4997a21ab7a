using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>API keys in the <see cref="ISecurityStore"/> (kind <c>apikey</c>), stored hashed.</summary>
internal sealed class ApiKeys(ISecurityStore store, TimeProvider time)
{
    public const string Prefix = "omk";

    public async Task<CreatedApiKey> CreateAsync(string name, string role, string? createdBy, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var (id, secret, token) = SecretTokens.Create(Prefix);
            var record = new ApiKeyRecord(id, name, role, SecretTokens.Hash(secret), time.GetUtcNow(), createdBy);
            if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.ApiKey, id, record), cancellationToken).ConfigureAwait(false))
            {
                return new CreatedApiKey(id, name, role, token);
            }
        }
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken cancellationToken = default) =>
        (await store.ListAsync(SecurityKinds.ApiKey, cancellationToken).ConfigureAwait(false))
            .Select(d => SecurityKinds.Read<ApiKeyRecord>(d))
            .Select(k => new ApiKeyView(k.Id, k.Name, k.Role, k.CreatedAt, k.CreatedBy))
            .ToList();

    public ValueTask<bool> RevokeAsync(string id, CancellationToken cancellationToken = default) =>
        store.DeleteAsync(SecurityKinds.ApiKey, id, cancellationToken);

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
