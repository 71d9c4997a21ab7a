using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Cli.Commands;

/// <summary>A JSON call to the server's REST API for the security commands; a refusal becomes one <see cref="CliException"/> line with the server's detail.</summary>
internal sealed class RestCall : IDisposable
{
    private readonly HttpClient _http;

    public RestCall(string server, string? apiKey)
    {
        _http = new HttpClient { BaseAddress = CommonOptions.ParseServer(server), Timeout = TimeSpan.FromSeconds(100) };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, body, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new CliException($"The server answered {path} with an empty body.");
    }

    public async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, body, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: OrbitMeshJson.Options);
        }

        var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var detail = text;
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var value) && value.ValueKind == JsonValueKind.String)
                {
                    detail = value.GetString()!;
                }
            }
            catch (JsonException)
            {
            }

            throw new CliException($"{(int)response.StatusCode} {response.ReasonPhrase}: {(detail.Length == 0 ? "no detail" : detail)}");
        }
    }
}
