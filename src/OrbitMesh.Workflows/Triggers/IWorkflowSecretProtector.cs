namespace OrbitMesh.Workflows;

/// <summary>
/// Encrypts what the workflow layer stores and must read back in clear (a webhook trigger's secret).
/// The OrbitMesh server supplies one built on ASP.NET Core Data Protection, the same keys as job
/// secrets; without one, webhook triggers are refused rather than stored in clear.
/// </summary>
public interface IWorkflowSecretProtector
{
    /// <summary>Encrypts a value.</summary>
    string Protect(string plaintext);

    /// <summary>Decrypts a value <see cref="Protect"/> returned.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The value cannot be decrypted (another key ring, tampering).</exception>
    string Unprotect(string protectedValue);
}
