using System.Net.Http.Headers;

namespace OrbitMesh.Cli.Credentials;

/// <summary>Sets <c>Authorization: Bearer</c> on each request from a provider (a saved login, refreshed when due).</summary>
internal sealed class BearerTokenHandler(Func<CancellationToken, ValueTask<string?>> provider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null && await provider(cancellationToken).ConfigureAwait(false) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
