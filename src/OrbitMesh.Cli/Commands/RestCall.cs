using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary>A typed JSON call to the server's REST API with the CLI's credentials and server trust; refusals become one <see cref="CliException"/> line (see <see cref="SecurityHttp"/>).</summary>
internal sealed class RestCall(string server, string? apiKey) : IDisposable
{
    private readonly HttpClient _http = CommonOptions.Http(server, apiKey);

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SecurityHttp.SendRawAsync(_http, method, path.TrimStart('/'), body, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException($"The server answered {path} with an empty body.");
    }

    public async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SecurityHttp.SendRawAsync(_http, method, path.TrimStart('/'), body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a request whose refusal with <paramref name="expected"/> is an answer (a 400 listing
    /// errors): that refusal's problem document is returned instead of thrown; any other failure
    /// throws as <see cref="SendAsync{T}"/> does.
    /// </summary>
    public async Task<(JsonElement Answer, JsonElement? Refusal)> SendOrRefusalAsync(HttpMethod method, string path, object? body, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: OrbitMeshJson.Options);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"Cannot reach the server at {_http.BaseAddress}: {ex.Message}");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == expected && TryParse(text) is { } refusal)
            {
                return (default, refusal);
            }

            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var detail = TryParse(text) is { } problem && problem.TryGetProperty("detail", out var d) ? d.GetString() : text.Trim();
                throw new CliException(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                    ? $"The server refused the request ({status}): {detail}"
                    : $"The server answered {status}: {detail}");
            }

            return (TryParse(text) ?? throw new CliException($"The server answered {path} with an empty body."), null);
        }
    }

    private static JsonElement? TryParse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
