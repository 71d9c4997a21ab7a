using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Stored API keys and their roles, the safe anonymous default, and the rate limits.</summary>
public sealed class ApiKeyAndAnonymousTests
{
    private const string StaticKey = "static-admin-key-1";

    [Fact]
    public async Task ApiKey_HasItsRole_IsListedWithoutItsSecret_AndStopsWorkingWhenRevoked()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);

        using var created = await admin.PostAsJsonAsync("/api/api-keys", new { name = "ci", role = "viewer" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetString()!;
        Assert.StartsWith($"omk_{id}_", key, StringComparison.Ordinal);
        using var viewer = ApiSecurity.WithApiKey(server, key);

        using var read = await viewer.GetAsync("/api/jobs");
        using var write = await viewer.DeleteAsync("/api/jobs/nope");
        using var listed = await admin.GetAsync("/api/api-keys");
        var listedText = await listed.Content.ReadAsStringAsync();
        using var revoked = await admin.DeleteAsync($"/api/api-keys/{id}");
        using var after = await viewer.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Contains(id, listedText, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Split('_')[2], listedText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("The X-Api-Key header does not hold a valid key.", await ApiSecurity.DetailAsync(after));
        var changes = await ApiSecurity.AuditAsync(server, AuditEventTypes.ApiKeyChanged);
        Assert.Contains(changes, e => e.Subject == id && e.Actor == "apikey:static" && e.Reason == "revoked");
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AccessDenied), e => e.Actor == "apikey:" + id);
    }

    [Fact]
    public async Task DeletingAUser_RevokesTheKeysTheyCreated_NotOthers()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, "admin");
        // A second admin, so deleting the first is not refused as deleting the last one.
        await server.Services.GetRequiredService<UserAccounts>().CreateAsync("second-admin", ApiSecurity.Password, "admin");
        var login = await ApiSecurity.LoginAsync(server, "admin-user");
        using var user = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);
        using var created = await user.PostAsJsonAsync("/api/api-keys", new { name = "theirs", role = "admin" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var theirs = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
        var others = await CreateKeyAsync(server, "viewer");
        using var theirKey = ApiSecurity.WithApiKey(server, theirs);
        using var otherKey = ApiSecurity.WithApiKey(server, others);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        Assert.Equal(HttpStatusCode.OK, (await theirKey.GetAsync("/api/users")).StatusCode);

        using var deleted = await admin.DeleteAsync("/api/users/admin-user");
        using var after = await theirKey.GetAsync("/api/users");
        using var other = await otherKey.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.UserChanged),
            e => e.Subject == "admin-user" && e.Reason == "deleted; 1 refresh token(s) and 1 API key(s) revoked");
        using var list = await admin.GetAsync("/api/api-keys");
        Assert.DoesNotContain("theirs", await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyWhoseCreatorNoLongerExists_IsRefused()
    {
        await using var server = await ApiSecurity.StartAsync();
        var keys = server.Services.GetRequiredService<ApiKeys>();
        var orphan = await keys.CreateAsync("orphan", "admin", ApiKeys.CreatorOf("gone"));
        using var http = ApiSecurity.WithApiKey(server, orphan.Key);

        using var response = await http.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("The API key's creator 'gone' no longer exists.", await ApiSecurity.DetailAsync(response));
    }

    [Fact]
    public async Task AnonymousByDesignRoutes_LogNothingAtInformation_WhileRefusalsStillExplainThemselves()
    {
        await using var server = await ApiSecurity.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };
        var before = server.Logs.Entries.Count;

        using var challenge = await http.PostAsJsonAsync("/api/enroll/challenge", new { nodeId = "poller" });
        using var refused = await http.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.OK, challenge.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("This API requires credentials", await ApiSecurity.DetailAsync(refused), StringComparison.Ordinal);
        var noisy = server.Logs.Entries.Skip(before)
            .Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Information && e.Message.Contains("was not authenticated", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(noisy);
    }

    [Fact]
    public async Task OperatorKey_WritesButCannotManageSecurity()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        var key = await CreateKeyAsync(server, "operator");
        using var op = ApiSecurity.WithApiKey(server, key);

        using var write = await op.PostAsync("/api/agents/nope/resume", null);
        using var users = await op.PostAsJsonAsync("/api/users", new { username = "x", password = "123456789012", role = "admin" });

        Assert.Equal(HttpStatusCode.NotFound, write.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
        Assert.Equal("This action requires the admin role; this identity has the operator role.", await ApiSecurity.DetailAsync(users));
    }

    [Fact]
    public async Task Anonymous_IsRefusedByDefault_AndActsAsAdminFromLoopbackWithTheOption()
    {
        await using var closed = await ApiSecurity.StartAsync();
        await using var open = await ApiSecurity.StartAsync(o => o.Security.AllowAnonymousLoopbackApi = true);
        using var toClosed = new HttpClient { BaseAddress = closed.Url };
        using var toOpen = new HttpClient { BaseAddress = open.Url };

        using var refused = await toClosed.GetAsync("/api/agents");
        using var allowed = await toOpen.PostAsJsonAsync("/api/api-keys", new { name = "n", role = "viewer" });

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(open, AuditEventTypes.ApiKeyChanged), e => e.Actor == "anonymous");
    }

    [Theory]
    [InlineData(false, false, "127.0.0.1", AnonymousApiAccess.Refused)]
    [InlineData(true, false, "127.0.0.1", null)]
    [InlineData(true, false, "::1", null)]
    [InlineData(true, false, "10.0.0.5", AnonymousApiAccess.LoopbackOnly)]
    [InlineData(false, true, "10.0.0.5", AnonymousApiAccess.Refused)]
    [InlineData(true, true, "10.0.0.5", null)]
    public void AnonymousDecision_FollowsTheOptionsAndTheRemoteAddress(bool loopbackOption, bool insecure, string remote, string? expected)
    {
        var options = new SecurityOptions { AllowAnonymousLoopbackApi = loopbackOption, InsecureDevelopmentMode = insecure };

        Assert.Equal(expected, AnonymousApiAccess.Decide(options, IPAddress.Parse(remote)));
    }

    [Fact]
    public async Task Handler_NonLoopbackAnonymous_WithTheLoopbackOption_IsRefusedSayingLoopbackOnly()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.Security.AllowAnonymousLoopbackApi = true);
        await using var scope = server.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.5");
        context.Request.Path = "/api/agents";

        var result = await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.AuthenticateAsync(context, ApiAuthenticationDefaults.Scheme);

        Assert.False(result.Succeeded);
        Assert.Equal(AnonymousApiAccess.LoopbackOnly, result.Failure!.Message);
    }

    [Fact]
    public async Task InsecureDevelopmentMode_LogsAWarningOnceAtStart()
    {
        await using var server = await ApiSecurity.StartAsync(o =>
        {
            o.Security.AllowAnonymousLoopbackApi = true;
            o.Security.InsecureDevelopmentMode = true;
        });

        Assert.Single(server.Logs.Entries, e => e.EventId.Id == 2350);
    }

    [Fact]
    public async Task LoginRateLimit_IsEnforced_With429RetryAfterAndProblemJson()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.Security.LoginPermitsPerMinute = 2);
        using var http = new HttpClient { BaseAddress = server.Url };

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await http.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = "wrong password!" });
            statuses.Add(last.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        var retryAfter = int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Contains("rate limit", await ApiSecurity.DetailAsync(last), StringComparison.Ordinal);
        last.Dispose();
    }

    [Fact]
    public async Task ApiRateLimit_IsPerIdentity()
    {
        await using var server = await ApiSecurity.StartAsync(o =>
        {
            o.ApiKey = StaticKey;
            o.Security.ApiPermitsPerMinute = 2;
        });
        var other = await CreateKeyAsync(server, "viewer");
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        using var viewer = ApiSecurity.WithApiKey(server, other);

        // The key creation above used one of the static key's two permits.
        using var second = await admin.GetAsync("/api/agents");
        using var third = await admin.GetAsync("/api/agents");
        using var otherIdentity = await viewer.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherIdentity.StatusCode);
    }

    [Fact]
    public async Task AnonymousEndpointUnderApi_WithItsOwnRateLimit_IsReachableAndLimited()
    {
        await using var server = await TestMeshServer.StartAsync(
            o =>
            {
                o.Security.AllowAnonymousLoopbackApi = false;
                o.Security.EnrollmentPermitsPerMinute = 1;
            },
            mapExtra: app => app.MapGroup("/api").RequireAuthorization(OrbitMeshPolicies.Viewer).RequireRateLimiting(OrbitMeshPolicies.ApiRateLimit)
                .MapPost("/enroll-probe", () => Results.Ok("enrolled"))
                .AllowAnonymous()
                .RequireRateLimiting(OrbitMeshPolicies.EnrollmentRateLimit));
        using var http = new HttpClient { BaseAddress = server.Url };

        using var first = await http.PostAsync("/api/enroll-probe", null);
        using var second = await http.PostAsync("/api/enroll-probe", null);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.Contains("Retry-After"));
    }

    private static async Task<string> CreateKeyAsync(TestMeshServer server, string role)
    {
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        using var created = await admin.PostAsJsonAsync("/api/api-keys", new { name = role + "-key", role });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }
}
