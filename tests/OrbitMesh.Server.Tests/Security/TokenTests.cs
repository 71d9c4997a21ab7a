using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.JsonWebTokens;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Storage;
using OrbitMesh.Storage;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Login, JWT access tokens, refresh rotation with reuse detection, logout, deleted users.</summary>
public sealed class TokenTests
{
    [Fact]
    public async Task Login_WrongPasswordOrUnknownUser_Is401_SameDetail_AuditedWithTheReason_PasswordNeverLogged()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        using var http = new HttpClient { BaseAddress = server.Url };

        using var wrong = await http.PostAsJsonAsync("/api/auth/login", new { username = "viewer-user", password = "not the password at all" });
        using var unknown = await http.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = "not the password at all" });
        await ApiSecurity.LoginAsync(server, "viewer-user");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("The username or password is wrong.", await ApiSecurity.DetailAsync(wrong));
        Assert.Equal("The username or password is wrong.", await ApiSecurity.DetailAsync(unknown));
        var failures = await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed);
        Assert.Contains(failures, e => e.Subject == "viewer-user" && e.Reason == "wrong password");
        Assert.Contains(failures, e => e.Subject == "nobody" && e.Reason == "unknown user");
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.Login), e => e.Subject == "viewer-user" && e.Actor == "user:viewer-user");
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("not the password", StringComparison.Ordinal) || e.Message.Contains(ApiSecurity.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AccessToken_AfterItsLifetime_Is401Expired_AndAudited()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ApiSecurity.StartAsync(time: clock);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var login = await ApiSecurity.LoginAsync(server, "viewer-user");
        using var http = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);
        Assert.Equal(clock.GetUtcNow() + SecurityOptions.DefaultAccessTokenLifetime, login.GetProperty("expiresAt").GetDateTimeOffset());

        using var before = await http.GetAsync("/api/agents");
        clock.Advance(SecurityOptions.DefaultAccessTokenLifetime + TimeSpan.FromSeconds(1));
        using var after = await http.GetAsync("/api/agents");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("The access token has expired.", await ApiSecurity.DetailAsync(after));
        Assert.Contains("invalid_token", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed), e => e.Reason == "The access token has expired");
    }

    [Fact]
    public async Task EventStream_OpenedWithAnAccessToken_IsClosedWhenTheTokenExpires()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ApiSecurity.StartAsync(time: clock);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var login = await ApiSecurity.LoginAsync(server, "viewer-user");
        using var http = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);
        var job = await server.Mesh.SubmitAsync(new JobRequest { Command = "never-served" });

        using var response = await http.GetAsync($"/api/jobs/{job.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            try
            {
                while (await stream.ReadAsync(buffer) > 0)
                {
                }
            }
            catch (IOException)
            {
                // The server closed the connection.
            }
        });
        Assert.False(reading.IsCompleted);

        clock.Advance(SecurityOptions.DefaultAccessTokenLifetime);

        await Wait.ForAsync(reading, "the event stream to end when its access token expires");
    }

    [Fact]
    public async Task AccessToken_Tampered_Is401BadSignature_NeverAnonymous()
    {
        // Anonymous loopback access is on: presented but invalid credentials must still be refused.
        await using var server = await ApiSecurity.StartAsync(o => o.Security.AllowAnonymousLoopbackApi = true);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var token = (await ApiSecurity.LoginAsync(server, "viewer-user")).GetProperty("accessToken").GetString()!;
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlDecode(parts[1]))!;
        payload["role"] = JsonSerializer.SerializeToElement("admin");
        var forged = parts[0] + "." + Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(payload)) + "." + parts[2];
        using var http = ApiSecurity.Bearer(server, forged);

        using var response = await http.GetAsync("/api/users");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("The access token's signature is not valid.", await ApiSecurity.DetailAsync(response));
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed), e => e.Reason == "The access token's signature is not valid");
    }

    [Fact]
    public async Task Refresh_Rotates_AndReusingARotatedToken_RevokesTheWholeFamily()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Operator);
        var first = (await ApiSecurity.LoginAsync(server, "operator-user")).GetProperty("refreshToken").GetString()!;
        Assert.StartsWith("omr_", first, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = server.Url };

        using var rotated = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first });
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var second = body.GetProperty("refreshToken").GetString()!;
        Assert.NotEqual(first, second);
        using (var withNew = ApiSecurity.Bearer(server, body.GetProperty("accessToken").GetString()!))
        using (var ok = await withNew.PostAsync("/api/agents/nope/pause", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, ok.StatusCode);
        }

        using var reused = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first });
        using var secondAfterReuse = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = second });

        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Contains("already used", await ApiSecurity.DetailAsync(reused), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, secondAfterReuse.StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.RefreshTokenRevoked), e => e.Subject == "operator-user" && !e.Success);
        var stored = await server.Services.GetRequiredService<ISecurityStore>().ListAsync("refresh");
        Assert.DoesNotContain(stored, d => d.Data.Contains(first.Split('_')[2], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logout_RevokesTheRefreshToken()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var refresh = (await ApiSecurity.LoginAsync(server, "viewer-user")).GetProperty("refreshToken").GetString()!;
        using var http = new HttpClient { BaseAddress = server.Url };

        using var logout = await http.PostAsJsonAsync("/api/auth/logout", new { refreshToken = refresh });
        using var after = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("The refresh token is not valid.", await ApiSecurity.DetailAsync(after));
    }

    [Fact]
    public async Task DeletedUser_ItsAccessAndRefreshTokensStopWorking()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Admin, OrbitMeshRoles.Viewer);
        var admin = await ApiSecurity.LoginAsync(server, "admin-user");
        var viewer = await ApiSecurity.LoginAsync(server, "viewer-user");
        using var adminHttp = ApiSecurity.Bearer(server, admin.GetProperty("accessToken").GetString()!);
        using var viewerHttp = ApiSecurity.Bearer(server, viewer.GetProperty("accessToken").GetString()!);

        using var listed = await adminHttp.GetAsync("/api/users");
        var listedText = await listed.Content.ReadAsStringAsync();
        using var deleted = await adminHttp.DeleteAsync("/api/users/viewer-user");
        using var after = await viewerHttp.GetAsync("/api/agents");
        using var refresh = await adminHttp.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = viewer.GetProperty("refreshToken").GetString() });

        Assert.Contains("\"viewer-user\"", listedText, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", listedText, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("The access token's user 'viewer-user' no longer exists.", await ApiSecurity.DetailAsync(after));
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.UserChanged), e => e.Subject == "viewer-user" && e.Actor == "user:admin-user");
    }

    [Fact]
    public async Task CreateUser_ValidatesNameRoleAndPasswordLength()
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Admin);
        using var http = ApiSecurity.Bearer(server, (await ApiSecurity.LoginAsync(server, "admin-user")).GetProperty("accessToken").GetString()!);

        using var shortPassword = await http.PostAsJsonAsync("/api/users", new { username = "bob", password = "elevenchars", role = "viewer" });
        using var badName = await http.PostAsJsonAsync("/api/users", new { username = "../bob", password = "twelve chars", role = "viewer" });
        using var badRole = await http.PostAsJsonAsync("/api/users", new { username = "bob", password = "twelve chars", role = "root" });
        using var created = await http.PostAsJsonAsync("/api/users", new { username = "bob", password = "twelve chars", role = "viewer" });
        using var again = await http.PostAsJsonAsync("/api/users", new { username = "bob", password = "twelve chars", role = "viewer" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, shortPassword.StatusCode);
        Assert.Contains("at least 12 characters", await ApiSecurity.DetailAsync(shortPassword), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badName.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badRole.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain("twelve", await created.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        await ApiSecurity.LoginAsync(server, "bob", "twelve chars");
    }

    [Fact]
    public async Task SigningKey_IsStoredEncrypted_AndSharedByEveryServerOfTheStore()
    {
        var store = new InMemorySecurityStore();
        var protection = DataProtectionProvider.Create("orbitmesh-test");
        var options = Microsoft.Extensions.Options.Options.Create(new OrbitMeshServerOptions());
        using var firstKeys = new SigningKeys(store, protection, TimeProvider.System);
        using var secondKeys = new SigningKeys(store, protection, TimeProvider.System);
        var first = new AccessTokens(firstKeys, TimeProvider.System, options);

        var (token, _) = await first.CreateAsync(new UserRecord("alice", "unused-hash", OrbitMeshRoles.Viewer, DateTimeOffset.UtcNow, "stamp"));
        var (subject, failure) = await ValidateAsSecondServerAsync(secondKeys, token);

        Assert.Equal("alice", subject);
        Assert.Null(failure);
        var stored = Assert.Single(await store.ListAsync("signing-key"));
        Assert.Contains("protectedKey", stored.Data, StringComparison.Ordinal);
    }

    /// <summary>Validates as another server's JwtBearer scheme would: its own options, the key it reads from the store.</summary>
    private static async Task<(string? Subject, string? Failure)> ValidateAsSecondServerAsync(SigningKeys keys, string token)
    {
        var bearer = new JwtBearerOptions();
        new AccessTokenValidation(new SigningKeyConfiguration(keys), TimeProvider.System).Configure(ApiAuthenticationDefaults.BearerScheme, bearer);
        var parameters = bearer.TokenValidationParameters.Clone();
        parameters.IssuerSigningKeys = (await bearer.ConfigurationManager!.GetConfigurationAsync(CancellationToken.None)).SigningKeys;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, parameters);
        return result.IsValid ? (((JsonWebToken)result.SecurityToken).Subject, null) : (null, result.Exception?.Message ?? "invalid");
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - (s.Length % 4)) % 4));
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
