using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace OrbitMesh.Agent.Security;

/// <summary>
/// An enrolled node's identity in its data directory: <c>node.json</c> (its id), <c>node.key</c> (its
/// ECDSA P-256 private key, PKCS#8 PEM, mode 0600), and once approved <c>node.crt</c> (its certificate)
/// and <c>ca.crt</c> (the server's CA). The key never leaves the directory; the node proves it holds it.
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    private const string InfoFile = "node.json";
    private const string KeyFile = "node.key";
    private const string CertificateFile = "node.crt";
    private const string CaFile = "ca.crt";

    private NodeIdentity(string directory, string nodeId, ECDsa key)
    {
        Directory = directory;
        NodeId = nodeId;
        Key = key;
    }

    /// <summary>The data directory.</summary>
    public string Directory { get; }

    /// <summary>The node's id.</summary>
    public string NodeId { get; }

    /// <summary>The node's key pair.</summary>
    public ECDsa Key { get; }

    /// <summary>The node's certificate, once approved.</summary>
    public X509Certificate2? Certificate { get; private set; }

    /// <summary>The server's CA certificate, once approved.</summary>
    public X509Certificate2? CaCertificate { get; private set; }

    /// <summary>
    /// The SHA-256 fingerprint of the server's TLS certificate, learned when the node enrolled over https
    /// (trust on first use); the agent pins it on every later connection unless told otherwise.
    /// </summary>
    public string? ServerFingerprint { get; private set; }

    /// <summary>The public key (SubjectPublicKeyInfo DER) in base64, as enrollment sends it.</summary>
    public string PublicKeyBase64 => Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo());

    /// <summary>SHA-256 of the public key, hex: what an admin compares before approving.</summary>
    public string KeyFingerprint => Convert.ToHexStringLower(SHA256.HashData(Key.ExportSubjectPublicKeyInfo()));

    /// <summary>True when the directory holds an identity (enrolled or pending).</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, InfoFile)) && File.Exists(Path.Combine(directory, KeyFile));

    /// <summary>The server fingerprint the node in <paramref name="directory"/> learned at enrollment, without loading its key; null when none.</summary>
    public static string? ReadServerFingerprint(string directory)
    {
        var info = Path.Combine(directory, InfoFile);
        try
        {
            return File.Exists(info) ? JsonSerializer.Deserialize<Info>(File.ReadAllText(info), OrbitMeshJson.Options)?.ServerFingerprint : null;
        }
        catch (JsonException ex)
        {
            throw new OrbitMeshException("invalid_identity", $"The node identity in '{directory}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Loads the identity in <paramref name="directory"/>.</summary>
    /// <exception cref="OrbitMeshException">The directory holds no identity, or it is damaged.</exception>
    public static NodeIdentity Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Exists(directory))
        {
            throw new OrbitMeshException("not_enrolled", $"The data directory '{directory}' holds no node identity; enroll first with an enrollment token.");
        }

        try
        {
            var info = JsonSerializer.Deserialize<Info>(File.ReadAllText(Path.Combine(directory, InfoFile)), OrbitMeshJson.Options)
                ?? throw new JsonException("empty");
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(Path.Combine(directory, KeyFile)));
            var identity = new NodeIdentity(directory, info.NodeId, key) { ServerFingerprint = info.ServerFingerprint };
            var certificate = Path.Combine(directory, CertificateFile);
            if (File.Exists(certificate))
            {
                identity.Certificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(certificate)).RawData);
            }

            var ca = Path.Combine(directory, CaFile);
            if (File.Exists(ca))
            {
                identity.CaCertificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(ca)).RawData);
            }

            return identity;
        }
        catch (Exception ex) when (ex is JsonException or CryptographicException or ArgumentException)
        {
            throw new OrbitMeshException("invalid_identity", $"The node identity in '{directory}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Creates a new identity (a new key) for <paramref name="nodeId"/> in <paramref name="directory"/>.</summary>
    public static NodeIdentity Create(string directory, string nodeId)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        if (Exists(directory))
        {
            throw new OrbitMeshException("already_enrolled", $"The data directory '{directory}' already holds a node identity.");
        }

        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var key = OrbitMesh.Security.NodeProof.CreateKey();
        WritePrivate(Path.Combine(directory, KeyFile), key.ExportPkcs8PrivateKeyPem());
        var identity = new NodeIdentity(directory, nodeId, key);
        identity.SaveInfo();
        return identity;
    }

    /// <summary>Stores the certificate (and CA) the server issued.</summary>
    public void SaveCertificate(string certificatePem, string? caCertificatePem)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePem);
        var certificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(certificatePem).RawData);
        using (var certified = certificate.GetECDsaPublicKey())
        {
            if (certified is null || !certified.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(Key.ExportSubjectPublicKeyInfo()))
            {
                throw new OrbitMeshException("invalid_certificate", "The server issued a certificate for another key.");
            }
        }

        ReplaceFile(Path.Combine(Directory, CertificateFile), certificatePem);
        Certificate?.Dispose();
        Certificate = certificate;
        if (caCertificatePem is not null)
        {
            ReplaceFile(Path.Combine(Directory, CaFile), caCertificatePem);
            CaCertificate?.Dispose();
            CaCertificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(caCertificatePem).RawData);
        }
    }

    /// <summary>Remembers the server's TLS certificate fingerprint (trust on first use).</summary>
    public void PinServer(string fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(fingerprint);
        ServerFingerprint = fingerprint;
        SaveInfo();
    }

    /// <summary>Disposes the identity and deletes its files (an enrollment that was refused).</summary>
    public void Delete()
    {
        Dispose();
        foreach (var file in new[] { InfoFile, KeyFile, CertificateFile, CaFile })
        {
            File.Delete(Path.Combine(Directory, file));
        }
    }

    /// <summary>The certificate with the private key, for TLS client authentication (mTLS).</summary>
    public X509Certificate2? CertificateWithKey() => Certificate?.CopyWithPrivateKey(Key);

    /// <inheritdoc />
    public void Dispose()
    {
        Key.Dispose();
        Certificate?.Dispose();
        CaCertificate?.Dispose();
    }

    private void SaveInfo() => ReplaceFile(Path.Combine(Directory, InfoFile), JsonSerializer.Serialize(new Info(NodeId, ServerFingerprint), OrbitMeshJson.Options));

    private static void ReplaceFile(string path, string content)
    {
        // Written beside, then moved over: a crash never leaves half a certificate.
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(content);
    }

    private sealed record Info(string NodeId, string? ServerFingerprint = null);
}
