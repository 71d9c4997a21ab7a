using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Security;

/// <summary>
/// The access tokens' HMAC key: 32 random bytes made once and kept in the security store (kind
/// <c>signing-key</c>) encrypted with Data Protection, so every server of one database signs and
/// accepts the same tokens. The first server to store one wins; the others read it.
/// </summary>
internal sealed class SigningKeys(ISecurityStore store, IDataProtectionProvider dataProtection, TimeProvider time) : IDisposable
{
    /// <summary>The key's id (the tokens' <c>kid</c>) and its document id in the store.</summary>
    public const string KeyId = "jwt-hs256";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("OrbitMesh.Security.SigningKey.v1");
    private readonly SemaphoreSlim _keyGate = new(1, 1);
    private SymmetricSecurityKey? _key;

    /// <summary>The key, loaded from the store or created there on first use, then cached.</summary>
    public async ValueTask<SymmetricSecurityKey> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_key is { } cached)
        {
            return cached;
        }

        await _keyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_key is null)
            {
                var document = await store.GetAsync(SecurityKinds.SigningKey, KeyId, cancellationToken).ConfigureAwait(false);
                if (document is not null)
                {
                    var record = SecurityKinds.Read<SigningKeyRecord>(document);
                    _key = new SymmetricSecurityKey(_protector.Unprotect(Convert.FromBase64String(record.ProtectedKey))) { KeyId = KeyId };
                    break;
                }

                var bytes = RandomNumberGenerator.GetBytes(32);
                var created = new SigningKeyRecord(Convert.ToBase64String(_protector.Protect(bytes)), time.GetUtcNow());
                if (await store.TrySaveAsync(SecurityKinds.Document(SecurityKinds.SigningKey, KeyId, created), cancellationToken).ConfigureAwait(false))
                {
                    _key = new SymmetricSecurityKey(bytes) { KeyId = KeyId };
                }

                // Otherwise another server stored its key first: read that one.
            }

            return _key;
        }
        finally
        {
            _keyGate.Release();
        }
    }

    public void Dispose() => _keyGate.Dispose();
}
