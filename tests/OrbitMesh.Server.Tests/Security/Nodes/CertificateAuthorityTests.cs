using Microsoft.Extensions.Logging.Abstractions;
using OrbitMesh.Server.Security.Nodes;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>The CA's files: created once (key 0600), reused after a restart, and a half-present directory refused.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orbitmesh-ca-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Directory_CreatedOnce_ThenTheSameCaIsLoaded_AndItsCertificatesStillVerify()
    {
        using var first = Create();
        using var issued = first.Issue("n1", OrbitMesh.Security.NodeProof.CreateKey().ExportSubjectPublicKeyInfo(), ["echo"], DateTimeOffset.UtcNow.AddDays(1));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, "ca.key")));
        }

        using var restarted = Create();

        Assert.Equal(first.Certificate.Thumbprint, restarted.Certificate.Thumbprint);
        Assert.True(restarted.Issued(issued, DateTimeOffset.UtcNow));
        Assert.False(restarted.Issued(issued, DateTimeOffset.UtcNow.AddDays(2)), "an expired certificate does not verify");
        using var other = new CertificateAuthority(Microsoft.Extensions.Options.Options.Create(new OrbitMeshServerOptions()), TimeProvider.System, NullLogger<CertificateAuthority>.Instance);
        Assert.False(other.Issued(issued, DateTimeOffset.UtcNow), "another CA did not issue it");
    }

    [Fact]
    public void Directory_WithOnlyTheKey_IsRefusedWithAClearError()
    {
        using (var first = Create())
        {
            first.EnsureLoaded();
        }

        File.Delete(Path.Combine(_directory, "ca.crt"));
        using var broken = Create();

        var error = Assert.Throws<OrbitMeshException>(broken.EnsureLoaded);
        Assert.Contains("holds only one of ca.key and ca.crt", error.Message, StringComparison.Ordinal);
    }

    private CertificateAuthority Create()
    {
        var options = new OrbitMeshServerOptions();
        options.Security.CertificateAuthorityDirectory = _directory;
        return new CertificateAuthority(Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<CertificateAuthority>.Instance);
    }
}
