using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Client.Tests;

/// <summary>The remote client's credentials: a user's access token as Bearer, and refusals without one.</summary>
public sealed class MeshHttpClientCredentialsTests
{
    [Fact]
    public async Task AccessToken_IsSentAsBearer_AndWithoutCredentialsTheServerRefuses()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = "client-static-key";
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        var token = await ViewerTokenAsync(server, "carol", "carols long password");
        using var withToken = new MeshHttpClient(new MeshClientOptions { Server = server.Url, AccessToken = token });
        using var without = new MeshHttpClient(server.Url);

        Assert.Empty(await withToken.GetAgentsAsync());
        var refused = await Assert.ThrowsAsync<MeshAuthenticationException>(() => without.GetAgentsAsync());
        Assert.Equal(401, refused.StatusCode);
        var forbidden = await Assert.ThrowsAsync<MeshAuthenticationException>(() => withToken.CancelJobAsync("nope"));
        Assert.Equal(403, forbidden.StatusCode);
    }

    [Fact]
    public async Task AccessTokenProvider_IsAskedBeforeEachRequest_AndItsTokenSent()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = "client-static-key";
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        var token = await ViewerTokenAsync(server, "dave", "daves long password");
        var asked = 0;
        string? current = null;
        using var client = new MeshHttpClient(new MeshClientOptions
        {
            Server = server.Url,
            AccessTokenProvider = _ =>
            {
                Interlocked.Increment(ref asked);
                return ValueTask.FromResult(current);
            },
        });

        // No token from the provider: nothing is sent and the server refuses.
        Assert.Equal(401, (await Assert.ThrowsAsync<MeshAuthenticationException>(() => client.GetAgentsAsync())).StatusCode);
        current = token;
        Assert.Empty(await client.GetAgentsAsync());
        Assert.Empty(await client.GetAgentsAsync());
        Assert.Equal(3, asked);

        // A fixed credential wins: the provider is not asked.
        using var keyed = new MeshHttpClient(new MeshClientOptions { Server = server.Url, ApiKey = "client-static-key", AccessTokenProvider = _ => throw new InvalidOperationException("not to be asked") });
        Assert.Empty(await keyed.GetAgentsAsync());
    }

    /// <summary>Creates a viewer with the static admin key and logs it in: its access token.</summary>
    private static async Task<string?> ViewerTokenAsync(TestMeshServer server, string username, string password)
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", "client-static-key");
        using (var created = await http.PostAsJsonAsync("/api/users", new { username, password, role = "viewer" }))
        {
            created.EnsureSuccessStatusCode();
        }

        using var login = await http.PostAsJsonAsync("/api/auth/login", new { username, password });
        return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
    }
}
