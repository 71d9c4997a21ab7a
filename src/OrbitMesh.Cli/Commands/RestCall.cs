using System.Net.Http.Json;

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

    public void Dispose() => _http.Dispose();
}
