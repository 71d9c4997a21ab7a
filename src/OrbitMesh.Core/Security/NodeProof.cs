using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace OrbitMesh.Security;

/// <summary>
/// How a node proves possession of its key: it signs <c>orbitmesh-node-proof-v1\n{purpose}\n{nodeId}\n{nonce}</c>
/// (UTF-8) with ECDSA P-256 and SHA-256, the signature in IEEE P1363 form (r‖s, 64 bytes), base64url
/// without padding. To connect, it presents <c>Authorization: Bearer node.{nodeId}.{nonce}.{signature}</c>
/// (node id base64url-encoded, since ids may contain dots). See docs/protocol.md.
/// </summary>
public static class NodeProof
{
    /// <summary>The purpose of a proof that opens a hub connection.</summary>
    public const string ConnectPurpose = "connect";

    /// <summary>The purpose of a proof that asks for the node's enrollment status (and its certificate).</summary>
    public const string StatusPurpose = "status";

    /// <summary>The prefix of a node credential in the bearer token.</summary>
    public const string CredentialPrefix = "node.";

    /// <summary>The bytes a node signs.</summary>
    public static byte[] Payload(string purpose, string nodeId, string nonce)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ArgumentNullException.ThrowIfNull(nodeId);
        ArgumentNullException.ThrowIfNull(nonce);
        return Encoding.UTF8.GetBytes($"orbitmesh-node-proof-v1\n{purpose}\n{nodeId}\n{nonce}");
    }

    /// <summary>Signs a proof with the node's key.</summary>
    public static string Sign(ECDsa key, string purpose, string nodeId, string nonce)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Base64Url.EncodeToString(key.SignData(Payload(purpose, nodeId, nonce), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    /// <summary>True when <paramref name="signature"/> is the node's signature of this proof.</summary>
    public static bool Verify(ECDsa publicKey, string purpose, string nodeId, string nonce, string signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return bytes.Length == 64 && publicKey.VerifyData(Payload(purpose, nodeId, nonce), bytes, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The bearer credential that opens a hub connection.</summary>
    public static string Credential(string nodeId, string nonce, string signature) =>
        CredentialPrefix + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nodeId)) + "." + nonce + "." + signature;

    /// <summary>Reads a bearer credential made by <see cref="Credential"/>; false when it is not one.</summary>
    public static bool TryParseCredential(string credential, out string nodeId, out string nonce, out string signature)
    {
        nodeId = nonce = signature = string.Empty;
        if (credential is null || !credential.StartsWith(CredentialPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = credential[CredentialPrefix.Length..].Split('.');
        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
        {
            return false;
        }

        try
        {
            nodeId = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));
        }
        catch (FormatException)
        {
            return false;
        }

        nonce = parts[1];
        signature = parts[2];
        return nodeId.Length > 0;
    }

    /// <summary>A new ECDSA P-256 key for a node.</summary>
    public static ECDsa CreateKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);
}
