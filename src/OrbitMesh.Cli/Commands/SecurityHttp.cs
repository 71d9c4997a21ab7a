using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary>Calls the security endpoints (users, API keys, login) and turns refusals into one error line.</summary>
internal static class SecurityHttp
{
    public static async Task<JsonElement?> SendAsync(HttpClient http, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(http, method, path, body, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Sends one JSON request; a successful response is returned, anything else becomes a <see cref="CliException"/> with the server's detail.</summary>
    public static async Task<HttpResponseMessage> SendRawAsync(HttpClient http, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // Raw content (a module upload) goes as it is; anything else as JSON.
            request.Content = body as HttpContent ?? JsonContent.Create(body, body.GetType(), options: OrbitMeshJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"Cannot reach the server at {http.BaseAddress}: {ex.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var detail = await DetailAsync(response, cancellationToken).ConfigureAwait(false);
            throw new CliException(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? $"The server refused the request ({status}): {detail}"
                : $"The server answered {status}: {detail}");
        }
    }

    /// <summary>Why the server refused: the problem document's <c>detail</c>, else the body, else the reason phrase.</summary>
    public static async Task<string?> DetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { } detail)
            {
                return detail;
            }
        }
        catch (JsonException)
        {
        }

        return string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase : text.Trim();
    }

    /// <summary>One line from standard input (a password), without its line ending.</summary>
    public static string ReadSecretLine(string what)
    {
        var line = Console.In.ReadLine();
        if (string.IsNullOrEmpty(line))
        {
            throw new CliException($"Give the {what} on standard input (one line).");
        }

        return line.TrimEnd('\r');
    }

    public static string Print(JsonElement value) => JsonSerializer.Serialize(value, OrbitMeshJson.Options) + Environment.NewLine;
}
