using System.Net;
using System.Security.Cryptography.X509Certificates;
using OrbitMesh.Cli.Hosting;
using OrbitMesh.Transport;

namespace OrbitMesh.Cli.Tests.Hosting;

/// <summary>The certificate <c>orbitmesh server --https</c> listens with: generated once and reused, or given as PFX or PEM.</summary>
public sealed class ServerCertificateTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("orbitmesh-tls-").FullName;

    [Fact]
    public void Load_WithoutACertificate_GeneratesASelfSignedP256OneOnceAndReusesIt()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var (first, note) = ServerCertificate.Load(null, null, null, _data, time);
        var (second, secondNote) = ServerCertificate.Load(null, null, null, _data, time);

        Assert.NotNull(note);
        Assert.Null(secondNote);
        Assert.Equal(TlsValidation.Fingerprint(first), TlsValidation.Fingerprint(second));
        Assert.True(second.HasPrivateKey);
        Assert.Equal("1.2.840.10045.2.1", first.PublicKey.Oid.Value); // id-ecPublicKey
        Assert.Equal(256, first.GetECDsaPublicKey()!.KeySize);
        Assert.InRange(first.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime, TimeSpan.FromDays(364), TimeSpan.FromDays(366));
        var names = first.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Contains(IPAddress.Loopback, names.EnumerateIPAddresses());
        Assert.Contains(IPAddress.IPv6Loopback, names.EnumerateIPAddresses());
        var path = ServerCertificate.GeneratedPath(_data);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        }
    }

    [Fact]
    public void Load_AnExpiredGeneratedCertificate_IsReplaced()
    {
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var (first, _) = ServerCertificate.Load(null, null, null, _data, time);
        time.Advance(TimeSpan.FromDays(400));

        var (renewed, note) = ServerCertificate.Load(null, null, null, _data, time);

        Assert.NotEqual(TlsValidation.Fingerprint(first), TlsValidation.Fingerprint(renewed));
        Assert.Contains("had expired", note, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_APfxWithPassword_AndAPemWithItsKey()
    {
        using var certificate = TestCertificates.CreateServer();
        var pfx = Path.Combine(_data, "server.pfx");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pkcs12, "secret"));
        var pem = Path.Combine(_data, "server.pem");
        var key = Path.Combine(_data, "server.key");
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        File.WriteAllText(key, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        var (fromPfx, _) = ServerCertificate.Load(pfx, "secret", null, _data, TimeProvider.System);
        var (fromPem, _) = ServerCertificate.Load(pem, null, key, _data, TimeProvider.System);

        Assert.Equal(TlsValidation.Fingerprint(certificate), TlsValidation.Fingerprint(fromPfx));
        Assert.Equal(TlsValidation.Fingerprint(certificate), TlsValidation.Fingerprint(fromPem));
        Assert.True(fromPem.HasPrivateKey);
        Assert.False(File.Exists(ServerCertificate.GeneratedPath(_data)));
        var wrongPassword = Assert.Throws<CliException>(() => ServerCertificate.Load(pfx, "wrong", null, _data, TimeProvider.System));
        Assert.Contains("--certificate-password", wrongPassword.Message, StringComparison.Ordinal);
        var noKey = Assert.Throws<CliException>(() => ServerCertificate.Load(pem, null, null, _data, TimeProvider.System));
        Assert.Contains("--certificate", noKey.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
