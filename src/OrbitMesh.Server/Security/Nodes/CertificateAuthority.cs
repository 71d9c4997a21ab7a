using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrbitMesh.Server.Security.Nodes;

/// <summary>
/// The server's certificate authority: an ECDSA P-256 key and a self-signed CA certificate, kept in
/// <see cref="SecurityOptions.CertificateAuthorityDirectory"/> (<c>ca.key</c>, mode 0600, and
/// <c>ca.crt</c>; created on first start) or, without one, in memory. It issues node certificates that
/// bind a node id and its granted capabilities to the node's public key.
/// </summary>
internal sealed partial class CertificateAuthority : IDisposable
{
    /// <summary>The URI prefix of a node certificate's node id (subject alternative name).</summary>
    public const string NodeUriPrefix = "urn:orbitmesh:node:";

    /// <summary>The URI prefix of each granted capability (subject alternative name).</summary>
    public const string CapabilityUriPrefix = "urn:orbitmesh:capability:";

    private readonly Lazy<(ECDsa Key, X509Certificate2 Certificate)> _ca;
    private readonly TimeProvider _time;

    public CertificateAuthority(IOptions<OrbitMeshServerOptions> options, TimeProvider time, ILogger<CertificateAuthority> logger)
    {
        _time = time;
        var directory = options.Value.Security.CertificateAuthorityDirectory;
        _ca = new(() => directory is null ? Create(time) : LoadOrCreateChecked(directory, time, logger), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The CA certificate (public part).</summary>
    public X509Certificate2 Certificate => _ca.Value.Certificate;

    /// <summary>The CA certificate in PEM.</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>Loads (or creates) the CA now, so a bad directory fails the start rather than the first approval.</summary>
    public void EnsureLoaded() => _ = _ca.Value;

    /// <summary>Loads the CA when the host starts (after the storage, so an unwritable data directory is reported by it first).</summary>
    internal sealed class Loader(CertificateAuthority authority) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            authority.EnsureLoaded();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Issues a node certificate for <paramref name="subjectPublicKeyInfo"/>, valid until <paramref name="notAfter"/>.</summary>
    public X509Certificate2 Issue(string nodeId, byte[] subjectPublicKeyInfo, IReadOnlyList<string> capabilities, DateTimeOffset notAfter)
    {
        var (caKey, caCertificate) = _ca.Value;
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(nodeId);
        subject.AddOrganizationName("OrbitMesh node");
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var request = new CertificateRequest(subject.Build(), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false)); // client authentication
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caCertificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri(NodeUriPrefix + Uri.EscapeDataString(nodeId)));
        foreach (var capability in capabilities)
        {
            names.AddUri(new Uri(CapabilityUriPrefix + Uri.EscapeDataString(capability)));
        }

        request.CertificateExtensions.Add(names.Build());
        var now = _time.GetUtcNow();
        var notBefore = now.AddMinutes(-5); // tolerate clocks a little behind
        if (notAfter > caCertificate.NotAfter)
        {
            notAfter = caCertificate.NotAfter;
        }

        return request.Create(caCertificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
    }

    /// <summary>True when <paramref name="certificate"/> chains to this CA (expiry at <paramref name="at"/> is checked).</summary>
    public bool Issued(X509Certificate2 certificate, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        return chain.Build(certificate);
    }

    /// <summary>The node id a certificate this CA issued names, or null.</summary>
    public static string? NodeIdOf(X509Certificate2 certificate) =>
        UrisOf(certificate).Where(u => u.StartsWith(NodeUriPrefix, StringComparison.Ordinal)).Select(u => Uri.UnescapeDataString(u[NodeUriPrefix.Length..])).FirstOrDefault();

    /// <summary>The capabilities a certificate this CA issued grants.</summary>
    public static IReadOnlyList<string> CapabilitiesOf(X509Certificate2 certificate) =>
        UrisOf(certificate).Where(u => u.StartsWith(CapabilityUriPrefix, StringComparison.Ordinal)).Select(u => Uri.UnescapeDataString(u[CapabilityUriPrefix.Length..])).ToList();

    private static List<string> UrisOf(X509Certificate2 certificate)
    {
        var uris = new List<string>();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
            {
                continue;
            }

            var names = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(uriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }

        return uris;
    }

    public void Dispose()
    {
        if (_ca.IsValueCreated)
        {
            _ca.Value.Key.Dispose();
            _ca.Value.Certificate.Dispose();
        }
    }

    private static (ECDsa, X509Certificate2) Create(TimeProvider time)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=OrbitMesh node CA " + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = time.GetUtcNow();
        using var withKey = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        return (key, X509CertificateLoader.LoadCertificate(withKey.RawData));
    }

    private static (ECDsa, X509Certificate2) LoadOrCreateChecked(string directory, TimeProvider time, ILogger logger)
    {
        try
        {
            return LoadOrCreate(directory, time, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new OrbitMeshException("invalid_options", $"Cannot load or create the node certificate authority in '{Path.GetFullPath(directory)}': {ex.Message}", ex);
        }
    }

    private static (ECDsa, X509Certificate2) LoadOrCreate(string directory, TimeProvider time, ILogger logger)
    {
        var keyPath = Path.Combine(directory, "ca.key");
        var certificatePath = Path.Combine(directory, "ca.crt");
        if (File.Exists(keyPath) && File.Exists(certificatePath))
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(keyPath));
            var certificate = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath)).RawData);
            using var loaded = certificate.GetECDsaPublicKey();
            if (loaded is null || !loaded.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            {
                throw new OrbitMeshException("invalid_options", $"The CA key {keyPath} does not belong to the CA certificate {certificatePath}.");
            }

            return (key, certificate);
        }

        if (File.Exists(keyPath) || File.Exists(certificatePath))
        {
            throw new OrbitMeshException("invalid_options", $"The CA directory {directory} holds only one of ca.key and ca.crt; restore the other or remove both to create a new CA (nodes enrolled with the old one must then enroll again).");
        }

        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var (newKey, newCertificate) = Create(time);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(keyPath, System.Text.Encoding.ASCII, options))
        {
            writer.Write(newKey.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(certificatePath, newCertificate.ExportCertificatePem());
        Log.Created(logger, directory);
        return (newKey, newCertificate);
    }

    private static partial class Log
    {
        [LoggerMessage(2310, LogLevel.Information, "Created the node certificate authority in {Directory}.")]
        public static partial void Created(ILogger logger, string directory);
    }
}
