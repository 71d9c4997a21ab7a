using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OrbitMesh.Cli.Hosting;

namespace OrbitMesh.Cli.Commands;

/// <summary>The TLS options of <c>orbitmesh server</c>: <c>--https</c>, its certificate and mutual TLS.</summary>
internal sealed class ServerTlsOptions
{
    /// <summary>Where the server listens by default: 5080 over HTTP.</summary>
    public const string DefaultHttpUrls = "http://127.0.0.1:5080";

    /// <summary>Where the server listens by default with <c>--https</c>: 5443.</summary>
    public const string DefaultHttpsUrls = "https://127.0.0.1:5443";

    private readonly Option<bool> _https = new("--https")
    {
        Description = "Listen with TLS (--urls defaults to " + DefaultHttpsUrls + "). Without --certificate a self-signed certificate is generated once into DATA/tls/server.pfx.",
    };

    private readonly Option<string?> _certificate = new("--certificate") { Description = "The server certificate for --https: a PFX file, or a PEM file with --certificate-key." };

    private readonly Option<string?> _password = new("--certificate-password") { Description = "The PFX password (or the encrypted PEM key's)." };

    private readonly Option<string?> _key = new("--certificate-key") { Description = "The PEM private key of a PEM --certificate." };

    private readonly Option<string> _clientCertificates = new("--client-certificates")
    {
        Description = "Mutual TLS: none (default), allow (ask for a client certificate) or require (refuse a client without one at the handshake).",
        DefaultValueFactory = _ => "none",
    };

    public ServerTlsOptions() => _clientCertificates.AcceptOnlyFromAmong("none", "allow", "require");

    public void AddTo(Command command)
    {
        command.Options.Add(_https);
        command.Options.Add(_certificate);
        command.Options.Add(_password);
        command.Options.Add(_key);
        command.Options.Add(_clientCertificates);
    }

    public bool Https(ParseResult result) => result.GetValue(_https);

    /// <summary>The URLs to listen on: the given ones, checked against --https, or the default for the scheme.</summary>
    public string Urls(ParseResult result, string? urls)
    {
        var https = Https(result);
        if (urls is null)
        {
            return https ? DefaultHttpsUrls : DefaultHttpUrls;
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var isHttps = url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            if (https && !isHttps)
            {
                throw new CliException($"--urls '{url}' is not an https URL: with --https every URL must be https:// (plain HTTP would bypass TLS).");
            }

            if (!https && isHttps)
            {
                throw new CliException($"--urls '{url}' is an https URL: pass --https (with --certificate, or a self-signed certificate is generated).");
            }
        }

        return urls;
    }

    /// <summary>The certificate to listen with and a note to print; null without --https.</summary>
    public (X509Certificate2? Certificate, string? Note) Certificate(ParseResult result, string dataDirectory)
    {
        if (!Https(result))
        {
            if (result.GetValue(_certificate) is not null || result.GetValue(_key) is not null || result.GetValue(_password) is not null || ClientCertificateMode(result) != Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate)
            {
                throw new CliException("--certificate, --certificate-key, --certificate-password and --client-certificates need --https.");
            }

            return (null, null);
        }

        return ServerCertificate.Load(result.GetValue(_certificate), result.GetValue(_password), result.GetValue(_key), dataDirectory, TimeProvider.System);
    }

    public ClientCertificateMode ClientCertificateMode(ParseResult result) => result.GetValue(_clientCertificates) switch
    {
        "allow" => Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate,
        "require" => Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
        _ => Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
    };
}
