using System.Net;

namespace OrbitMesh.Cli.Hosting;

/// <summary>
/// Safe defaults: the server refuses to serve its REST API without authentication on an address
/// other hosts can reach. (The agent hub always requires a token.) <c>--insecure-development</c>
/// allows it, by name, with a warning.
/// </summary>
internal static class ExposureCheck
{
    /// <summary>The URLs (of a <c>--urls</c> value, separated by ';') that are not loopback-only.</summary>
    public static IReadOnlyList<string> PublicUrls(string urls) =>
        [.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(url => !IsLoopback(url))];

    /// <summary>Throws when the API would be open on a public address; returns a warning to print when allowed by --insecure-development.</summary>
    public static string? Check(ServerSettings settings, bool insecureDevelopment)
    {
        if (settings.ApiKey is not null)
        {
            return null;
        }

        var exposed = PublicUrls(settings.Urls);
        if (exposed.Count == 0)
        {
            return null;
        }

        if (!insecureDevelopment)
        {
            throw new CliException(
                $"refusing to serve the REST API without authentication on {string.Join(", ", exposed)}: other hosts could submit jobs. " +
                "Give --api-key K, listen on 127.0.0.1, or pass --insecure-development for a development machine.");
        }

        return $"warning: --insecure-development: the REST API on {string.Join(", ", exposed)} accepts requests from anyone who can reach it. Never use this outside development.";
    }

    private static bool IsLoopback(string url)
    {
        // Kestrel's wildcard forms (http://*:5080, http://+:5080, http://0.0.0.0:5080, http://[::]:5080) listen on every interface.
        var host = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var end = host.StartsWith('[') ? host.IndexOf(']', StringComparison.Ordinal) + 1 : host.IndexOfAny([':', '/']);
        host = end > 0 ? host[..end] : host;
        host = host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }
}
