using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrbitMesh.Agent;
using OrbitMesh.Transport;

namespace OrbitMesh.Cli.Commands;

/// <summary>
/// The TLS options of <c>orbitmesh agent</c>: how the server's certificate is trusted (a pinned
/// fingerprint or a CA; the operating system's trust store otherwise) and the client certificate.
/// </summary>
internal sealed class AgentTlsOptions
{
    private readonly Option<string?> _fingerprint = new("--server-fingerprint")
    {
        Description = "Accept only the server certificate with this SHA-256 fingerprint (64 hex digits, colons allowed), as `orbitmesh server --https` prints it.",
    };

    private readonly Option<string?> _ca = new("--ca-certificate") { Description = "Trust only server certificates issued by this CA (a PEM file) instead of the system's trust store." };

    private readonly Option<string?> _clientCertificate = new("--client-certificate") { Description = "Present this client certificate (mutual TLS): a PFX file, or a PEM file with --client-key." };

    private readonly Option<string?> _clientKey = new("--client-key") { Description = "The PEM private key of a PEM --client-certificate." };

    private readonly Option<string?> _clientPassword = new("--client-certificate-password") { Description = "The PFX password of --client-certificate (or the encrypted PEM key's)." };

    public void AddTo(Command command)
    {
        command.Options.Add(_fingerprint);
        command.Options.Add(_ca);
        command.Options.Add(_clientCertificate);
        command.Options.Add(_clientKey);
        command.Options.Add(_clientPassword);
    }

    /// <summary>Applies the options to <paramref name="builder"/>; a bad value is a <see cref="CliException"/>.</summary>
    public void Apply(ParseResult result, MeshAgentBuilder builder)
    {
        var (fingerprint, ca) = ServerTrust(result);
        if (fingerprint is not null)
        {
            builder.WithServerCertificateFingerprint(fingerprint);
        }

        if (ca is not null)
        {
            builder.WithTrustedCertificateAuthority(ca);
        }

        if (result.GetValue(_clientCertificate) is { } clientCertificate)
        {
            builder.WithClientCertificate(LoadClientCertificate(clientCertificate, result.GetValue(_clientKey), result.GetValue(_clientPassword)));
        }
        else if (result.GetValue(_clientKey) is not null || result.GetValue(_clientPassword) is not null)
        {
            throw new CliException("--client-key and --client-certificate-password need --client-certificate.");
        }
    }

    /// <summary>The server check the options ask for: a normalized pin, or a CA, or neither; a bad value is a <see cref="CliException"/>.</summary>
    public (string? Fingerprint, X509Certificate2? Ca) ServerTrust(ParseResult result)
    {
        var fingerprint = result.GetValue(_fingerprint);
        var ca = result.GetValue(_ca);
        if (fingerprint is not null && ca is not null)
        {
            throw new CliException("--server-fingerprint and --ca-certificate exclude each other: pin the server's certificate or trust a CA.");
        }

        try
        {
            return (fingerprint is null ? null : TlsValidation.NormalizeFingerprint(fingerprint), ca is null ? null : LoadCa(ca));
        }
        catch (FormatException ex)
        {
            throw new CliException("--server-fingerprint: " + ex.Message);
        }
    }

    private static X509Certificate2 LoadCa(string path)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--ca-certificate: could not read a PEM certificate from {path}: {ex.Message}");
        }
    }

    private static X509Certificate2 LoadClientCertificate(string path, string? keyPath, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = keyPath is null
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : password is null ? X509Certificate2.CreateFromPemFile(path, keyPath) : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--client-certificate: could not read {(keyPath is null ? "a PFX" : "a PEM certificate and key")} from {path}: {ex.Message}");
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new CliException($"--client-certificate: {path} holds no private key.");
        }

        return certificate;
    }
}
