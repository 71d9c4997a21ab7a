using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>The static ApiKey is an admin key; without credentials the API is refused unless anonymous loopback access is allowed.</summary>
public sealed class StaticApiKeyTests
{
    private const string ApiKey = "the-api-key-123";

    [Fact]
    public async Task Api_MissingKey_Is401ProblemJsonWithAClearDetail()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = ApiKey;
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        using var http = new HttpClient { BaseAddress = server.Url };

        using var response = await http.GetAsync("/api/agents");

        await AssertUnauthorizedAsync(response, "This API requires credentials: send 'Authorization: Bearer <access token>' (POST /api/auth/login) or the X-Api-Key header.");
        await Wait.UntilAsync(() => server.Logs.Contains(e => e.EventId.Id == 2351 && e.Message.Contains("/api/agents", StringComparison.Ordinal)), "the refusal is logged (2351)");
    }

    [Fact]
    public async Task Api_WrongKey_Is401ProblemJsonWithAClearDetail()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = ApiKey;
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", "the-api-key-124");

        using var response = await http.GetAsync("/api/agents/some-agent");

        await AssertUnauthorizedAsync(response, "The X-Api-Key header does not hold a valid key.");
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("the-api-key-124", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Api_RightKey_Is200()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = ApiKey;
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);

        using var response = await http.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Array, (await response.Content.ReadFromJsonAsync<JsonElement>()).ValueKind);
    }

    [Fact]
    public async Task Api_NoKeyConfigured_AnonymousLoopbackAllowed_IsOpen()
    {
        await using var server = await TestMeshServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var response = await http.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_WithApiKeyConfigured_NeedsNoKey()
    {
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.ApiKey = ApiKey;
            o.Security.AllowAnonymousLoopbackApi = false;
        });
        using var http = new HttpClient { BaseAddress = server.Url };

        using var response = await http.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string detail)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal("Unauthorized", problem.GetProperty("title").GetString());
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
    }
}
