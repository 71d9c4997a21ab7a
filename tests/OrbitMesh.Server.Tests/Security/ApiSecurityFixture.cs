using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Starts servers that require credentials, with users of each role, and logs them in.</summary>
internal static class ApiSecurity
{
    public const string Password = "correct horse battery";

    public static Task<TestMeshServer> StartAsync(Action<OrbitMeshServerOptions>? configure = null, TimeProvider? time = null) =>
        TestMeshServer.StartAsync(
            o =>
            {
                o.Security.AllowAnonymousLoopbackApi = false;
                configure?.Invoke(o);
            },
            services: time is null ? null : s => s.AddSingleton(time));

    public static async Task CreateUsersAsync(TestMeshServer server, params string[] roles)
    {
        var users = server.Services.GetRequiredService<UserAccounts>();
        foreach (var role in roles)
        {
            var (outcome, errors) = await users.CreateAsync(role + "-user", Password, role);
            Assert.True(outcome == UserCreateOutcome.Created, string.Join(" ", errors));
        }
    }

    public static async Task<JsonElement> LoginAsync(TestMeshServer server, string username, string password = Password)
    {
        using var http = new HttpClient { BaseAddress = server.Url };
        using var response = await http.PostAsJsonAsync("/api/auth/login", new { username, password });
        Assert.True(response.IsSuccessStatusCode, $"login of {username}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public static HttpClient Bearer(TestMeshServer server, string accessToken)
    {
        var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return http;
    }

    public static HttpClient WithApiKey(TestMeshServer server, string key)
    {
        var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        return http;
    }

    public static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
    }

    public static async Task<IReadOnlyList<OrbitMesh.Storage.AuditEntry>> AuditAsync(TestMeshServer server, string type) =>
        await server.Services.GetRequiredService<OrbitMesh.Storage.ISecurityStore>().QueryAuditAsync(new OrbitMesh.Storage.AuditQuery { Type = type });
}
