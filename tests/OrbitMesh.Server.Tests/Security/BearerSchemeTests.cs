using System.Net;
using System.Net.Http.Headers;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>
/// The framework's JwtBearer behind the API's policy scheme: the rules the hand-written handler had
/// (refused from exp on, a malformed header refused, Bearer before X-Api-Key), and a user's access
/// token is never an agent credential on the hub, in the header or the access_token query parameter.
/// </summary>
public sealed class BearerSchemeTests
{
    [Fact]
    public async Task AccessToken_InTheInstantOfItsExpiry_IsRefused_AndASecondBefore_Accepted()
    {
        // A whole second, so exp (whole seconds) is exactly now + lifetime.
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
        await using var server = await ApiSecurity.StartAsync(time: clock);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var login = await ApiSecurity.LoginAsync(server, "viewer-user");
        using var http = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);

        clock.Advance(SecurityOptions.DefaultAccessTokenLifetime - TimeSpan.FromSeconds(1));
        using var before = await http.GetAsync("/api/agents");
        clock.Advance(TimeSpan.FromSeconds(1));
        using var atExpiry = await http.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, atExpiry.StatusCode);
        Assert.Equal("The access token has expired.", await ApiSecurity.DetailAsync(atExpiry));
    }

    [Fact]
    public async Task AuthorizationHeader_NotBearer_IsRefusedSayingSo_EvenWithAValidApiKeyBeside()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = "static-admin-key-for-this-test");
        using var http = ApiSecurity.WithApiKey(server, "static-admin-key-for-this-test");
        using var withKeyOnly = await http.GetAsync("/api/agents");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await http.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, withKeyOnly.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(AccessTokenEvents.BadHeader + ".", await ApiSecurity.DetailAsync(response));
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed), e => e.Reason == AccessTokenEvents.BadHeader);
    }

    [Fact]
    public async Task UsersAccessToken_OnTheHub_InTheHeaderOrTheQuery_IsNotAnAgentCredential()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Admin);
        var token = (await ApiSecurity.LoginAsync(server, "admin-user")).GetProperty("accessToken").GetString()!;
        using var http = ApiSecurity.Bearer(server, token);
        using var anonymous = new HttpClient { BaseAddress = server.Url };

        using var api = await http.GetAsync("/api/agents");
        using var header = await http.PostAsync("/mesh/negotiate?negotiateVersion=1", null);
        using var query = await anonymous.PostAsync("/mesh/negotiate?negotiateVersion=1&access_token=" + Uri.EscapeDataString(token), null);

        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, header.StatusCode);
        Assert.Equal(AgentTokenAuthenticationHandler.UnknownToken + ".", await ApiSecurity.DetailAsync(header));
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);
        Assert.Equal(AgentTokenAuthenticationHandler.UnknownToken + ".", await ApiSecurity.DetailAsync(query));
    }

    [Fact]
    public async Task AgentToken_OnTheHub_ThroughThePolicyScheme_IsTheAgentsScheme()
    {
        await using var server = await ApiSecurity.StartAsync();
        using var header = new HttpClient { BaseAddress = server.Url };
        header.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestMeshServer.AgentToken);
        using var anonymous = new HttpClient { BaseAddress = server.Url };

        using var byHeader = await header.PostAsync("/mesh/negotiate?negotiateVersion=1", null);
        using var byQuery = await anonymous.PostAsync("/mesh/negotiate?negotiateVersion=1&access_token=" + Uri.EscapeDataString(TestMeshServer.AgentToken), null);
        using var onApi = await header.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, onApi.StatusCode);
        Assert.Equal("The access token is malformed.", await ApiSecurity.DetailAsync(onApi));
    }
}
