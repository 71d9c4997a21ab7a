using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;

namespace OrbitMesh.Transport;

/// <summary>
/// Turns what the official client throws when a connect fails (a status code in an
/// <see cref="HttpRequestException"/>, one failure per transport in an <see cref="AggregateException"/>)
/// into the <see cref="MeshConnectionException"/> that says why and whether to retry.
/// </summary>
public static class MeshConnectFailure
{
    /// <summary>The header in which the server gives the reason for a refused connect.</summary>
    public const string ErrorHeader = "X-OrbitMesh-Error";

    /// <summary>
    /// The most telling failure inside <paramref name="error"/>: a refusal of the credentials first, then any
    /// other OrbitMesh connection error, then a status code, a TLS failure or a network error.
    /// </summary>
    public static MeshConnectionException Translate(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var all = Flatten(error).ToList();
        if (all.OfType<MeshAuthenticationException>().FirstOrDefault() is { } refused)
        {
            return refused;
        }

        if (all.OfType<MeshConnectionException>().OrderBy(e => e.IsRetryable).FirstOrDefault() is { } known)
        {
            return known;
        }

        if (all.OfType<HttpRequestException>().FirstOrDefault(e => e.StatusCode is not null) is { StatusCode: { } status } http)
        {
            return ForStatus("the server", status, null, null, http);
        }

        if (all.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
        {
            return new MeshConnectionException("tls_failed", "TLS failed: " + tls.Message, error, isRetryable: false);
        }

        var network = all.OfType<SocketException>().FirstOrDefault();
        return new MeshConnectionException("Could not connect: " + (network?.Message ?? Innermost(error).Message), error);
    }

    /// <summary>The delay a refusal inside <paramref name="error"/> asked for (429 or 503 with <c>Retry-After</c>), if any.</summary>
    public static TimeSpan? RetryAfterOf(Exception? error) =>
        error is null ? null : Flatten(error).OfType<MeshConnectionException>().Select(e => e.RetryAfter).FirstOrDefault(d => d is not null);

    /// <summary>The error for a connect the server answered with <paramref name="status"/>.</summary>
    internal static MeshConnectionException ForStatus(string target, HttpStatusCode status, string? reason, TimeSpan? retryAfter, Exception? inner) => status switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new MeshAuthenticationException(
            $"The server at {target} refused the connection ({(int)status} {status}): {reason ?? "no reason given"}.", inner)
        {
            StatusCode = (int)status,
        },
        HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable => new MeshConnectionException("server_busy",
            $"The server at {target} is busy ({(int)status}){(reason is null ? "" : ": " + reason)}; retry after {retryAfter?.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) ?? "?"} s.",
            inner, isRetryable: true, retryAfter),
        HttpStatusCode.NotFound => new MeshConnectionException("not_found", $"There is no hub at {target} (404).", inner, isRetryable: true),
        _ => new MeshConnectionException($"The server at {target} answered {(int)status} {status} instead of accepting the connection{(reason is null ? "" : ": " + reason)}.", inner),
    };

    /// <summary>The error for a connect answered with <paramref name="status"/>, its reason and <c>Retry-After</c> read from the response's headers.</summary>
    internal static MeshConnectionException ForResponse(string target, HttpStatusCode status, Func<string, string?> header, TimeProvider time, Exception? inner) =>
        ForStatus(target, status, ReadReason(header), ParseRetryAfter(header("Retry-After"), time), inner);

    /// <summary>The server's reason for a refusal: its own header, else the <c>error_description</c> of <c>WWW-Authenticate</c>.</summary>
    internal static string? ReadReason(Func<string, string?> header) =>
        header(ErrorHeader) ?? ReadAuthenticateDescription(header("WWW-Authenticate"));

    internal static string? ReadAuthenticateDescription(string? header)
    {
        if (header is null)
        {
            return null;
        }

        const string Marker = "error_description=\"";
        var start = header.IndexOf(Marker, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return header;
        }

        start += Marker.Length;
        var end = header.IndexOf('"', start);
        return end < 0 ? header[start..] : header[start..end];
    }

    /// <summary>Reads <c>Retry-After</c>: seconds, or an HTTP date.</summary>
    internal static TimeSpan? ParseRetryAfter(string? value, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var delta = date - time.GetUtcNow();
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        return null;
    }

    internal static Exception Innermost(Exception error)
    {
        var current = error;
        while (current.InnerException is { } inner)
        {
            current = inner;
        }

        return current;
    }

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        var pending = new Stack<Exception>();
        pending.Push(error);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var current = pending.Pop();
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.Reverse())
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }
}
