using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OrbitMesh.Cli.Hosting;

/// <summary>
/// The certificate <c>orbitmesh server --https</c> listens with: the one given (PFX, or PEM with its key)
/// or a self-signed one generated once into <c>DATA/tls/server.pfx</c> and reused on later starts.
/// </summary>
internal static class ServerCertificate
{
    /// <summary>How long a generated certificate is valid: one year.</summary>
    public static readonly TimeSpan GeneratedValidity = TimeSpan.FromDays(365);

    /// <summary>The generated certificate's file, inside the data directory.</summary>
    public static string GeneratedPath(string dataDirectory) => Path.Combine(dataDirectory, "tls", "server.pfx");

    /// <summary>Loads the given certificate, or the generated one (generating it when missing or expired).</summary>
    /// <returns>The certificate and a note to print when one was generated.</returns>
    public static (X509Certificate2 Certificate, string? Note) Load(string? certificatePath, string? password, string? keyPath, string dataDirectory, TimeProvider time)
    {
        if (certificatePath is not null)
        {
            return (LoadGiven(certificatePath, password, keyPath), null);
        }

        if (keyPath is not null || password is not null)
        {
            throw new CliException("--certificate-key and --certificate-password need --certificate.");
        }

        var path = GeneratedPath(dataDirectory);
        var now = time.GetUtcNow();
        if (File.Exists(path))
        {
            var existing = LoadPfx(path, null, "the generated server certificate");
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime)
            {
                return (existing, null);
            }

            existing.Dispose();
            var renewed = Generate(path, now);
            return (renewed, $"The server certificate in {Path.GetFullPath(path)} had expired; generated a new self-signed one (agents that pinned the old fingerprint must pin the new one).");
        }

        var generated = Generate(path, now);
        return (generated, $"Generated a self-signed server certificate in {Path.GetFullPath(path)} (valid until {generated.NotAfter.ToUniversalTime():yyyy-MM-dd}).");
    }

    /// <summary>A self-signed ECDSA P-256 server certificate for localhost, 127.0.0.1, ::1 and the machine name.</summary>
    internal static X509Certificate2 CreateSelfSigned(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=OrbitMesh server " + Environment.MachineName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        var machine = Environment.MachineName.ToLowerInvariant();
        if (machine != "localhost" && Uri.CheckHostName(machine) == UriHostNameType.Dns)
        {
            names.AddDnsName(machine);
        }

        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(GeneratedValidity));
    }

    private static X509Certificate2 Generate(string path, DateTimeOffset now)
    {
        using var created = CreateSelfSigned(now);
        var pfx = created.Export(X509ContentType.Pkcs12);
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            // Written beside and moved over, so a crash never leaves half a file that the next start cannot read.
            var temporary = path + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(pfx);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Could not store the generated server certificate in {Path.GetFullPath(path)}: {ex.Message}");
        }

        return LoadPfx(path, null, "the generated server certificate");
    }

    private static X509Certificate2 LoadGiven(string path, string? password, string? keyPath)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"--certificate: {Path.GetFullPath(path)} does not exist.");
        }

        X509Certificate2 certificate;
        if (keyPath is not null)
        {
            try
            {
                certificate = password is null
                    ? X509Certificate2.CreateFromPemFile(path, keyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or ArgumentException)
            {
                throw new CliException($"--certificate/--certificate-key: could not read a PEM certificate and key from {path} and {keyPath}: {ex.Message}");
            }
        }
        else
        {
            certificate = LoadPfx(path, password, "--certificate");
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CliException($"--certificate: {path} holds no private key (give a PFX with its key, or a PEM certificate with --certificate-key).");
        }

        return certificate;
    }

    private static X509Certificate2 LoadPfx(string path, string? password, string what)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException ex)
        {
            throw new CliException($"{what}: could not read a PFX (PKCS#12) from {Path.GetFullPath(path)} (wrong --certificate-password, or a PEM file without --certificate-key?): {ex.Message}");
        }
    }
}
