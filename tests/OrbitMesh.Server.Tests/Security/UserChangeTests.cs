using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Role and password changes (by an admin and by the user), the last admin, and API keys that expire.</summary>
public sealed class UserChangeTests
{
    private const string StaticKey = "user-change-static-key";
    private const string NewPassword = "a brand new long password";

    [Fact]
    public async Task RoleChange_AppliesToTheUsersNextRequest_WithTheSameToken_AndIsAudited()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        using var viewer = ApiSecurity.Bearer(server, (await ApiSecurity.LoginAsync(server, "viewer-user")).GetProperty("accessToken").GetString()!);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        using var before = await viewer.PostAsync("/api/agents/nope/pause", null);

        using var changed = await admin.PutAsJsonAsync("/api/users/viewer-user/role", new { role = "operator" });
        using var after = await viewer.PostAsync("/api/agents/nope/pause", null);
        using var unchanged = await admin.PutAsJsonAsync("/api/users/viewer-user/role", new { role = "operator" });

        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("operator", (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unchanged.StatusCode);
        var audited = (await ApiSecurity.AuditAsync(server, AuditEventTypes.UserChanged)).Where(e => e.Reason!.StartsWith("role changed", StringComparison.Ordinal)).ToList();
        Assert.Equal("role changed from viewer to operator", Assert.Single(audited).Reason);
        Assert.Equal("apikey:static", audited[0].Actor);
    }

    [Fact]
    public async Task RoleChange_BadInput_IsRefusedWithTheReason()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);

        using var badRole = await admin.PutAsJsonAsync("/api/users/viewer-user/role", new { role = "root" });
        using var noUser = await admin.PutAsJsonAsync("/api/users/nobody/role", new { role = "admin" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, badRole.StatusCode);
        Assert.Contains("viewer, operator, admin", await badRole.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noUser.StatusCode);
        Assert.Equal("No user named 'nobody'.", await ApiSecurity.DetailAsync(noUser));
    }

    [Fact]
    public async Task TheLastAdmin_CannotBeDemotedOrDeleted_UntilThereIsAnother()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Admin, OrbitMeshRoles.Viewer);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);

        using var demoted = await admin.PutAsJsonAsync("/api/users/admin-user/role", new { role = "viewer" });
        using var deleted = await admin.DeleteAsync("/api/users/admin-user");
        using var promoted = await admin.PutAsJsonAsync("/api/users/viewer-user/role", new { role = "admin" });
        using var demotedNow = await admin.PutAsJsonAsync("/api/users/admin-user/role", new { role = "viewer" });

        Assert.Equal(HttpStatusCode.Conflict, demoted.StatusCode);
        Assert.Equal("'admin-user' is the last admin and cannot be demoted; give another user the admin role first.", await ApiSecurity.DetailAsync(demoted));
        Assert.Equal(HttpStatusCode.Conflict, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, demotedNow.StatusCode);
    }

    [Fact]
    public async Task AdminSetsAPassword_EverySessionOfTheUserEnds_TheNewPasswordLogsIn()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Operator);
        var login = await ApiSecurity.LoginAsync(server, "operator-user");
        using var session = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        using var anonymous = new HttpClient { BaseAddress = server.Url };
        Assert.Equal(HttpStatusCode.OK, (await session.GetAsync("/api/jobs")).StatusCode);

        using var tooShort = await admin.PutAsJsonAsync("/api/users/operator-user/password", new { password = "short" });
        using var set = await admin.PutAsJsonAsync("/api/users/operator-user/password", new { password = NewPassword });
        using var oldAccess = await session.GetAsync("/api/jobs");
        using var oldRefresh = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.GetProperty("refreshToken").GetString() });
        using var oldPassword = await anonymous.PostAsJsonAsync("/api/auth/login", new { username = "operator-user", password = ApiSecurity.Password });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooShort.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldAccess.StatusCode);
        Assert.Equal("The access token was issued before 'operator-user''s password changed; log in again.", await ApiSecurity.DetailAsync(oldAccess));
        Assert.Equal(HttpStatusCode.Unauthorized, oldRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        using var fresh = ApiSecurity.Bearer(server, (await ApiSecurity.LoginAsync(server, "operator-user", NewPassword)).GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/jobs")).StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.UserChanged),
            e => e.Subject == "operator-user" && e.Reason == "password set by an admin; 1 refresh token(s) revoked");
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(NewPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UserChangesOwnPassword_NeedsTheCurrentOne_EndsOtherSessions_AndReturnsAFreshLogin()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        await ApiSecurity.CreateUsersAsync(server, OrbitMeshRoles.Viewer);
        var first = await ApiSecurity.LoginAsync(server, "viewer-user");
        var other = await ApiSecurity.LoginAsync(server, "viewer-user");
        using var session = ApiSecurity.Bearer(server, first.GetProperty("accessToken").GetString()!);
        using var otherSession = ApiSecurity.Bearer(server, other.GetProperty("accessToken").GetString()!);

        using var wrong = await session.PostAsJsonAsync("/api/auth/password", new { currentPassword = "not the password at all", newPassword = NewPassword });
        using var weak = await session.PostAsJsonAsync("/api/auth/password", new { currentPassword = ApiSecurity.Password, newPassword = "short" });
        using var changed = await session.PostAsJsonAsync("/api/auth/password", new { currentPassword = ApiSecurity.Password, newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("The current password is wrong.", await ApiSecurity.DetailAsync(wrong));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, weak.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var tokens = await changed.Content.ReadFromJsonAsync<JsonElement>();
        using var renewed = ApiSecurity.Bearer(server, tokens.GetProperty("accessToken").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await renewed.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await otherSession.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.GetAsync("/api/jobs")).StatusCode);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed), e => e.Subject == "viewer-user" && e.Reason == "password change: wrong password");
        await ApiSecurity.LoginAsync(server, "viewer-user", NewPassword);
    }

    [Fact]
    public async Task OwnPasswordChange_WithAnApiKey_IsRefused_Anonymous_Is401()
    {
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        using var anonymous = new HttpClient { BaseAddress = server.Url };

        using var withKey = await admin.PostAsJsonAsync("/api/auth/password", new { currentPassword = "x", newPassword = NewPassword });
        using var withNothing = await anonymous.PostAsJsonAsync("/api/auth/password", new { currentPassword = "x", newPassword = NewPassword });

        Assert.Equal(HttpStatusCode.Forbidden, withKey.StatusCode);
        Assert.Contains("not an API key", await ApiSecurity.DetailAsync(withKey), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, withNothing.StatusCode);
    }

    [Fact]
    public async Task ApiKey_WithAnExpiry_WorksUntilThen_IsRefusedAfter_AndListedAsExpired()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ApiSecurity.StartAsync(o => o.ApiKey = StaticKey, clock);
        using var admin = ApiSecurity.WithApiKey(server, StaticKey);
        var expiresAt = clock.GetUtcNow().AddHours(1);

        using var past = await admin.PostAsJsonAsync("/api/api-keys", new { name = "late", role = "viewer", expiresAt = clock.GetUtcNow().AddSeconds(-1) });
        using var created = await admin.PostAsJsonAsync("/api/api-keys", new { name = "hourly", role = "viewer", expiresAt });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        using var key = ApiSecurity.WithApiKey(server, body.GetProperty("key").GetString()!);
        using var before = await key.GetAsync("/api/jobs");
        clock.Advance(TimeSpan.FromHours(1));
        using var after = await key.GetAsync("/api/jobs");
        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/api-keys");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, past.StatusCode);
        Assert.Contains("expiresAt must be in the future.", await past.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(expiresAt, body.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.StartsWith($"The API key '{body.GetProperty("id").GetString()}' expired at ", await ApiSecurity.DetailAsync(after), StringComparison.Ordinal);
        var entry = Assert.Single(listed.EnumerateArray());
        Assert.True(entry.GetProperty("expired").GetBoolean());
        Assert.Equal(expiresAt, entry.GetProperty("expiresAt").GetDateTimeOffset());
    }
}
