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
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", "client-static-key");
        using (var created = await http.PostAsJsonAsync("/api/users", new { username = "carol", password = "carols long password", role = "viewer" }))
        {
            created.EnsureSuccessStatusCode();
        }

        using var login = await http.PostAsJsonAsync("/api/auth/login", new { username = "carol", password = "carols long password" });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        using var withToken = new MeshHttpClient(new MeshClientOptions { Server = server.Url, AccessToken = token });
        using var without = new MeshHttpClient(server.Url);

        Assert.Empty(await withToken.GetAgentsAsync());
        var refused = await Assert.ThrowsAsync<MeshAuthenticationException>(() => without.GetAgentsAsync());
        Assert.Equal(401, refused.StatusCode);
        var forbidden = await Assert.ThrowsAsync<MeshAuthenticationException>(() => withToken.CancelJobAsync("nope"));
        Assert.Equal(403, forbidden.StatusCode);
    }
}
