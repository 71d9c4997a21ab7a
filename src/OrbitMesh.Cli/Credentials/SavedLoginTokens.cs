using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Cli.Commands;

namespace OrbitMesh.Cli.Credentials;

/// <summary>
/// The access token of a server's saved login, refreshed when it is about to expire: the provider behind
/// every command that is given neither an API key nor <c>$ORBITMESH_ACCESS_TOKEN</c>.
/// </summary>
internal sealed class SavedLoginTokens(LoginStore store, Uri server)
{
    /// <summary>A token closer than this to its expiry is refreshed before use.</summary>
    public static readonly TimeSpan RefreshMargin = TimeSpan.FromSeconds(60);

    // No in-process gate: concurrent callers that find the token stale each refresh under the store's file
    // lock, and every caller after the first re-reads a login that is fresh again and takes it as it is.
    private SavedLogin? _current;

    /// <summary>The access token to send, or null when there is no saved login for this server.</summary>
    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current) ?? store.Get(server);
        if (current is null)
        {
            return null;
        }

        if (current.ExpiresAt - DateTimeOffset.UtcNow <= RefreshMargin)
        {
            current = await RefreshAsync(store, server, force: false, cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _current, current);
        return current.AccessToken;
    }

    /// <summary>
    /// Exchanges the saved refresh token for a new pair and saves it. Unless <paramref name="force"/>,
    /// a login another command refreshed meanwhile is taken as it is. A refused refresh removes the login.
    /// </summary>
    public static async Task<SavedLogin> RefreshAsync(LoginStore store, Uri server, bool force, CancellationToken cancellationToken)
    {
        // The refused login is removed by returning (a throw inside the change would leave the file as it was).
        var (renewed, ended) = await store.UpdateAsync<(SavedLogin? Renewed, string? Ended)>(async logins =>
        {
            var key = LoginStore.KeyOf(server);
            if (!logins.TryGetValue(key, out var saved))
            {
                throw new CliException($"Not logged in to {key}: run 'orbitmesh login --username NAME --server {key}'.");
            }

            if (!force && saved.ExpiresAt - DateTimeOffset.UtcNow > RefreshMargin)
            {
                return (saved, null);
            }

            using var http = CommonOptions.AnonymousHttp(server);
            HttpResponseMessage response;
            try
            {
                response = await http.PostAsJsonAsync("api/auth/refresh", new { refreshToken = saved.RefreshToken }, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new CliException($"Cannot reach the server at {server} to refresh the saved login: {ex.Message}");
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    logins.Remove(key);
                    return (null, $"The saved login of '{saved.Username}' at {key} has ended ({(await SecurityHttp.DetailAsync(response, cancellationToken).ConfigureAwait(false))?.TrimEnd('.')}); run 'orbitmesh login' again.");
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new CliException($"The server answered {(int)response.StatusCode} to refreshing the saved login: {await SecurityHttp.DetailAsync(response, cancellationToken).ConfigureAwait(false)}");
                }

                var tokens = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
                var fresh = FromTokens(saved.Username, tokens);
                logins[key] = fresh;
                return (fresh, null);
            }
        }, cancellationToken).ConfigureAwait(false);

        return renewed ?? throw new CliException(ended!);
    }

    /// <summary>A saved login from the JSON that login, refresh and a password change return.</summary>
    public static SavedLogin FromTokens(string username, JsonElement tokens) => new(
        username,
        tokens.GetProperty("role").GetString()!,
        tokens.GetProperty("accessToken").GetString()!,
        tokens.GetProperty("expiresAt").GetDateTimeOffset(),
        tokens.GetProperty("refreshToken").GetString()!,
        tokens.GetProperty("refreshExpiresAt").GetDateTimeOffset());
}
