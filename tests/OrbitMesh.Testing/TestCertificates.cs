using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrbitMesh.Testing;

/// <summary>Certificates for TLS tests, made with <see cref="CertificateRequest"/> (ECDSA P-256, valid for a day).</summary>
public static class TestCertificates
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A certificate authority with its private key.</summary>
    public static X509Certificate2 CreateAuthority(string name = "OrbitMesh Test CA")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost (or <paramref name="dnsName"/>), issued by <paramref name="issuer"/> or self-signed.</summary>
    public static X509Certificate2 CreateServer(X509Certificate2? issuer = null, string? dnsName = null) =>
        CreateLeaf("CN=" + (dnsName ?? "localhost"), ServerAuthentication, issuer, names =>
        {
            if (dnsName is null)
            {
                names.AddDnsName("localhost");
                names.AddIpAddress(IPAddress.Loopback);
            }
            else
            {
                names.AddDnsName(dnsName);
            }
        });

    /// <summary>A client certificate, issued by <paramref name="issuer"/> or self-signed.</summary>
    public static X509Certificate2 CreateClient(string name = "test-agent", X509Certificate2? issuer = null) =>
        CreateLeaf("CN=" + name, ClientAuthentication, issuer, names => names.AddDnsName(name));

    private static X509Certificate2 CreateLeaf(string subject, Oid usage, X509Certificate2? issuer, Action<SubjectAlternativeNameBuilder> addNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        addNames(names);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var now = DateTimeOffset.UtcNow;
        if (issuer is null)
        {
            return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(issuer, now.AddMinutes(-5), now.AddHours(23), serial);
        return issued.CopyWithPrivateKey(key);
    }
}
