using System.CommandLine;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using OrbitMesh.Cli.Credentials;
using OrbitMesh.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Cli.Commands;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static Option<string> Server() => new("--server")
    {
        Description = "The server's base URL (default: $ORBITMESH_SERVER, then " + DefaultServer + ").",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORBITMESH_SERVER") is { Length: > 0 } env ? env : DefaultServer,
    };

    /// <summary>The environment variable holding the CLI's API key when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "ORBITMESH_API_KEY";

    // No DefaultValueFactory: System.CommandLine prints a default in --help, and this one is a secret.
    // The variable is read where the key is used (ResolveApiKey).
    public static Option<string?> ApiKey() => new("--api-key")
    {
        Description = "The API key for /api requests (default: $" + ApiKeyVariable + "; without one, $ORBITMESH_ACCESS_TOKEN, then the saved 'orbitmesh login', is sent as a Bearer token).",
    };

    /// <summary>The key given with <c>--api-key</c>, else <c>$ORBITMESH_API_KEY</c>, else none.</summary>
    public static string? ResolveApiKey(string? given) =>
        given is { Length: > 0 } ? given : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } env ? env : null;

    /// <summary>The environment variable holding a user's access token, sent as Bearer when no API key is given.</summary>
    public const string AccessTokenVariable = "ORBITMESH_ACCESS_TOKEN";

    /// <summary>
    /// A REST client with the API key, else <c>$ORBITMESH_ACCESS_TOKEN</c> as a Bearer token, else the
    /// saved login for the server (<c>orbitmesh login</c>), refreshed when it is about to expire.
    /// </summary>
    public static MeshHttpClient MeshClient(string server, string? apiKey)
    {
        var uri = ParseServer(server);
        return new(new MeshClientOptions
        {
            Server = uri,
            ApiKey = ResolveApiKey(apiKey),
            AccessToken = Environment.GetEnvironmentVariable(AccessTokenVariable),
            AccessTokenProvider = new SavedLoginTokens(LoginStore.Default(), uri).GetAsync,
            ServerCertificateValidation = ServerTrust(),
        });
    }

    /// <summary>The variable holding the SHA-256 fingerprint of an https server's certificate to pin (for self-signed servers).</summary>
    public const string ServerFingerprintVariable = "ORBITMESH_SERVER_FINGERPRINT";

    /// <summary>The variable holding a CA certificate (PEM file) an https server's certificate must chain to.</summary>
    public const string CaCertificateVariable = "ORBITMESH_CA_CERTIFICATE";

    /// <summary>How REST commands check an https server: the pinned fingerprint or the CA from the environment, else the OS trust store.</summary>
    public static System.Net.Security.RemoteCertificateValidationCallback? ServerTrust()
    {
        try
        {
            if (Environment.GetEnvironmentVariable(ServerFingerprintVariable) is { Length: > 0 } pin)
            {
                return TlsValidation.PinnedFingerprint(TlsValidation.NormalizeFingerprint(pin));
            }

            if (Environment.GetEnvironmentVariable(CaCertificateVariable) is { Length: > 0 } path)
            {
                return TlsValidation.TrustedAuthority(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(
                    System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(path)).RawData));
            }
        }
        catch (Exception ex) when (ex is FormatException or IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new CliException($"${ServerFingerprintVariable} / ${CaCertificateVariable}: {ex.Message}");
        }

        return null;
    }

    /// <summary>A plain HTTP client for the security endpoints, with the same credentials as <see cref="MeshClient"/>.</summary>
    public static HttpClient Http(string server, string? apiKey)
    {
        var uri = ParseServer(server);
        apiKey = ResolveApiKey(apiKey);
        var token = Environment.GetEnvironmentVariable(AccessTokenVariable);
        HttpMessageHandler handler = TlsValidation.CreateHandler(ServerTrust());
        if (string.IsNullOrEmpty(apiKey) && string.IsNullOrEmpty(token))
        {
            handler = new BearerTokenHandler(new SavedLoginTokens(LoginStore.Default(), uri).GetAsync) { InnerHandler = handler };
        }

        var http = new HttpClient(handler) { BaseAddress = uri, Timeout = HttpTimeout };
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
        else if (!string.IsNullOrEmpty(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>A client with no credentials (login, refresh, logout), checking the server's certificate as the others do.</summary>
    public static HttpClient AnonymousHttp(Uri server) =>
        new(TlsValidation.CreateHandler(ServerTrust())) { BaseAddress = server, Timeout = HttpTimeout };

    private static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(100);

    /// <summary>Parses 90s, 30m, 1h, 7d (or plain seconds) given to <paramref name="option"/>.</summary>
    public static TimeSpan ParseDuration(string text, string option)
    {
        var value = text.Trim();
        var unit = value.Length > 0 && char.IsLetter(value[^1]) ? value[^1] : 's';
        var number = char.IsLetter(value.Length > 0 ? value[^1] : '0') ? value[..^1] : value;
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var amount) || amount <= 0 || double.IsInfinity(amount))
        {
            throw new CliException($"{option} '{text}' is not a duration; use e.g. 90s, 30m, 1h or 7d.");
        }

        return unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => throw new CliException($"{option} '{text}' has an unknown unit '{unit}'; use s, m, h or d."),
        };
    }

    public static Option<bool> Json() => new("--json") { Description = "Print one JSON document instead of a table." };

    public static Option<LogLevel> LogLevelOption(LogLevel defaultLevel) => new("--log-level")
    {
        Description = "Minimum log level: Trace, Debug, Information, Warning, Error, Critical, None.",
        DefaultValueFactory = _ => defaultLevel,
    };

    public static Option<string> LogFormat() => new Option<string>("--log-format")
    {
        Description = "Log format: text or json.",
        DefaultValueFactory = _ => "text",
    }.AcceptOnlyFromAmong("text", "json");

    public static Option<string?> OtlpEndpoint() => new("--otlp-endpoint")
    {
        Description = "Export traces (and the server's metrics) over OTLP/HTTP to this collector base URL, e.g. http://127.0.0.1:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT, else no export).",
    };

    public static string? OtlpEndpointValue(System.CommandLine.ParseResult result, Option<string?> option) =>
        result.GetValue(option) ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");

    public static Uri ParseServer(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--server '{value}' is not an http or https URL.");
        }

        return uri;
    }
}
