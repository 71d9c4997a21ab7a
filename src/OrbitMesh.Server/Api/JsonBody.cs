using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace OrbitMesh.Server.Api;

/// <summary>
/// Reads a JSON request body with a size limit and answers malformed input with a clear 400 (or 413,
/// 415) problem naming where it is wrong, before anything reaches the job engine or an agent.
/// </summary>
internal static class JsonBody
{
    /// <summary>The largest request body read: 4 MiB.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Reads and deserializes the body as <typeparamref name="T"/>.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context)
    {
        var (body, problem) = await ReadBytesAsync(context).ConfigureAwait(false);
        if (problem is not null)
        {
            return (default, problem);
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(body.Span, OrbitMeshJson.Options);
            return value is null || value is JsonElement { ValueKind: JsonValueKind.Null }
                ? (default, ApiResults.BadRequest("The request body is null; send a JSON object."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, position {ex.BytePositionInLine + 1})" : string.Empty;
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? string.Empty : $" at {ex.Path}";
            return (default, ApiResults.BadRequest($"The request body is not valid JSON for this endpoint{path}{where}: {ex.Message.Split(" Path:")[0]}"));
        }
    }

    /// <summary>Reads the body's bytes, refusing a wrong media type, an oversized or empty body, and text that is not valid Unicode.</summary>
    /// <param name="context">The request.</param>
    /// <param name="acceptYaml">Whether a YAML body (a media type naming yaml) is accepted too.</param>
    public static async Task<(ReadOnlyMemory<byte> Body, IResult? Problem)> ReadBytesAsync(HttpContext context, bool acceptYaml = false)
    {
        var request = context.Request;
        if (request.ContentType is { } contentType
            && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            && !(acceptYaml && contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase)))
        {
            var expected = acceptYaml ? "JSON or YAML" : "JSON";
            return (default, ApiResults.Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", $"The body must be {expected}, not '{contentType}'."));
        }

        if (await ReadLimitedAsync(context, MaxBodyBytes).ConfigureAwait(false) is not { } body)
        {
            return (default, TooLarge());
        }

        if (body.Length == 0)
        {
            return (default, ApiResults.BadRequest("The request body is empty; send a JSON object."));
        }

        if (JsonText.FindInvalidText(body.Span) is { } where)
        {
            return (default, ApiResults.BadRequest(
                $"The request body holds text that is not valid Unicode at {where} (invalid UTF-8, or an escaped lone surrogate such as \\ud800). Send valid UTF-8 text."));
        }

        return (body, null);
    }

    private static IResult TooLarge() =>
        ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The body is larger than {MaxBodyBytes} bytes.");

    /// <summary>The body's bytes as sent (any media type), or null when it is longer than <paramref name="limit"/> (by its Content-Length or as read).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadLimitedAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
