using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Cli.Hosting;

/// <summary>Calls the server's REST API for the CLI, turning failures into one-line errors.</summary>
internal sealed class ApiHttp : IDisposable
{
    private readonly HttpClient _http;

    public ApiHttp(Uri server, string? apiKey)
    {
        _http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }
    }

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"Cannot reach the server at {_http.BaseAddress}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CliException($"The server at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s.");
        }

        if (!response.IsSuccessStatusCode)
        {
            var detail = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new CliException($"The server answered {status}: {detail}");
        }

        return response;
    }

    private static async Task<string> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object &&
                (document.RootElement.TryGetProperty("detail", out var detail) || document.RootElement.TryGetProperty("title", out detail)))
            {
                return detail.GetString() ?? response.ReasonPhrase ?? "error";
            }
        }
        catch (JsonException)
        {
        }

        return string.IsNullOrWhiteSpace(body) ? response.ReasonPhrase ?? "error" : body.Trim();
    }

    public void Dispose() => _http.Dispose();
}
