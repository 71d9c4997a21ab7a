using System.Net;
using System.Net.Http.Json;
using OrbitMesh.Server.Security;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Each role against each class of endpoint: read (viewer), write (operator), security (admin).</summary>
public sealed class RoleAccessTests
{
    [Theory]
    [InlineData(OrbitMeshRoles.Viewer, true, false, false)]
    [InlineData(OrbitMeshRoles.Operator, true, true, false)]
    [InlineData(OrbitMeshRoles.Admin, true, true, true)]
    public async Task EachRole_ReachesExactlyItsEndpoints(string role, bool read, bool write, bool admin)
    {
        await using var server = await ApiSecurity.StartAsync();
        await ApiSecurity.CreateUsersAsync(server, role);
        var login = await ApiSecurity.LoginAsync(server, role + "-user");
        Assert.Equal(role, login.GetProperty("role").GetString());
        using var http = ApiSecurity.Bearer(server, login.GetProperty("accessToken").GetString()!);

        using var list = await http.GetAsync("/api/agents");
        using var job = await http.GetAsync("/api/jobs/nope");
        using var cancel = await http.DeleteAsync("/api/jobs/nope");
        using var pause = await http.PostAsync("/api/agents/nope/pause", null);
        using var patch = await http.PatchAsync("/api/agents/nope/twin", JsonContent.Create(new { desired = new { } }));
        using var users = await http.GetAsync("/api/users");
        using var keys = await http.PostAsJsonAsync("/api/api-keys", new { name = "k", role = "viewer" });
        using var nodes = await http.GetAsync("/api/nodes");
        using var audit = await http.GetAsync("/api/audit");
        using var token = await http.PostAsJsonAsync("/api/tokens", new { uses = 1 });
        using var tokens = await http.GetAsync("/api/tokens");
        using var approve = await http.PostAsync("/api/nodes/nope/approve", null);
        using var revoke = await http.PostAsync("/api/nodes/nope/revoke", null);
        using var setRole = await http.PutAsJsonAsync("/api/users/nope/role", new { role = "admin" });
        using var setPassword = await http.PutAsJsonAsync("/api/users/nope/password", new { password = "a long enough password" });

        await AssertAccessAsync(list, read, OrbitMeshRoles.Viewer, role);
        await AssertAccessAsync(job, read, OrbitMeshRoles.Viewer, role);
        await AssertAccessAsync(cancel, write, OrbitMeshRoles.Operator, role);
        await AssertAccessAsync(pause, write, OrbitMeshRoles.Operator, role);
        await AssertAccessAsync(patch, write, OrbitMeshRoles.Operator, role);
        await AssertAccessAsync(users, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(keys, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(nodes, read, OrbitMeshRoles.Viewer, role);
        await AssertAccessAsync(audit, read, OrbitMeshRoles.Viewer, role);
        await AssertAccessAsync(token, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(tokens, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(approve, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(revoke, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(setRole, admin, OrbitMeshRoles.Admin, role);
        await AssertAccessAsync(setPassword, admin, OrbitMeshRoles.Admin, role);
        if (!admin)
        {
            var denied = await ApiSecurity.AuditAsync(server, AuditEventTypes.AccessDenied);
            Assert.Contains(denied, e => e.Actor == $"user:{role}-user" && !e.Success);
        }
    }

    [Fact]
    public async Task NoCredentials_Is401ProblemWithWwwAuthenticate_AndAudited()
    {
        await using var server = await ApiSecurity.StartAsync();
        using var http = new HttpClient { BaseAddress = server.Url };

        using var response = await http.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains("requires credentials", await ApiSecurity.DetailAsync(response), StringComparison.Ordinal);
        Assert.Contains(await ApiSecurity.AuditAsync(server, AuditEventTypes.AuthenticationFailed), e => e.Subject == "/api/jobs" && !e.Success);
    }

    private static async Task AssertAccessAsync(HttpResponseMessage response, bool allowed, string needed, string role)
    {
        if (allowed)
        {
            Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                $"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri} as {role} answered {(int)response.StatusCode}.");
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal($"This action requires the {needed} role; this identity has the {role} role.", await ApiSecurity.DetailAsync(response));
        }
    }
}
