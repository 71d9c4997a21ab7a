using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using OrbitMesh.Agent;
using OrbitMesh.Modules;

namespace OrbitMesh.Wasm;

/// <summary>
/// Gets modules from the OrbitMesh server over HTTP, authenticated as the agent:
/// <c>GET /api/agent/modules/{name}[?version=V]</c> for the digest, then
/// <c>GET /api/agent/modules/{name}/{version}/content</c> for the bytes (see docs/protocol.md).
/// </summary>
public sealed class HttpWasmModuleSource : IWasmModuleSource
{
    private readonly HttpClient _http;
    private readonly Uri _server;
    private readonly Func<CancellationToken, Task<string>> _credential;

    /// <summary>
    /// Creates a source for the server at <paramref name="server"/> (its base URL). <paramref name="credential"/>
    /// gives the agent's bearer credential for each request: its shared token, or a fresh proof of an enrolled node.
    /// </summary>
    public HttpWasmModuleSource(HttpClient http, Uri server, Func<CancellationToken, Task<string>> credential)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(credential);
        _http = http;
        _server = server.AbsolutePath.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        _credential = credential;
    }

    /// <inheritdoc />
    public async Task<WasmModuleInfo> ResolveAsync(WasmModuleName name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var path = "api/agent/modules/" + Uri.EscapeDataString(name.Name) + (name.Version is null ? "" : "?version=" + Uri.EscapeDataString(name.Version));
        using var response = await SendAsync(path, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MeshHandlerException(WasmErrorCodes.ModuleNotFound, $"The server has no WebAssembly module '{name}'.");
        }

        await EnsureSuccessAsync(response, "resolve module '" + name + "'", cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<WasmModuleInfo>(OrbitMeshJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new MeshHandlerException(WasmErrorCodes.ModuleNotFound, $"The server sent no description of module '{name}'.");
    }

    /// <inheritdoc />
    public async Task<byte[]> DownloadAsync(WasmModuleInfo module, int maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(module);
        var path = "api/agent/modules/" + Uri.EscapeDataString(module.Name) + "/" + Uri.EscapeDataString(module.Version) + "/content";
        using var response = await SendAsync(path, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MeshHandlerException(WasmErrorCodes.ModuleNotFound, $"The server has no WebAssembly module '{module.Name}@{module.Version}'.");
        }

        await EnsureSuccessAsync(response, $"download module '{module.Name}@{module.Version}'", cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new MeshHandlerException(WasmErrorCodes.InvalidModule, $"Module '{module.Name}@{module.Version}' is larger than {maxBytes} bytes, this agent's limit.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw new MeshHandlerException(WasmErrorCodes.InvalidModule, $"Module '{module.Name}@{module.Version}' is larger than {maxBytes} bytes, this agent's limit.");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_server, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _credential(cancellationToken).ConfigureAwait(false));
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new MeshHandlerException(MeshErrorCodes.HandlerFailed, $"Could not {what}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}. {(body.Length > 300 ? body[..300] : body)}".TrimEnd());
    }
}
