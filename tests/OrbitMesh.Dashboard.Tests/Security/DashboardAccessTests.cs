using System.Net;
using OrbitMesh.Dashboard.Tests.Infrastructure;

namespace OrbitMesh.Dashboard.Tests.Security;

/// <summary>Sign-in, sessions and the server-side role checks of the dashboard's actions, over plain HTTP.</summary>
public sealed class DashboardAccessTests
{
    [Fact]
    public async Task Page_WithoutSession_RedirectsToSignIn_AndTheCircuitHubRefuses()
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = server.NewBrowserlessClient(out _);

        using var page = await client.GetAsync("/dashboard/jobs");
        using var negotiate = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("http://127.0.0.1:" + server.Url.Port + "/dashboard/login?ReturnUrl=%2Fdashboard%2Fjobs", page.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }

    [Fact]
    public async Task SignIn_WrongPassword_IsRefused_AndWithoutAntiforgeryToken_IsRejected()
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = server.NewBrowserlessClient(out var cookies);
        var token = await DashboardServer.FormTokenAsync(client, "/dashboard/login");

        using var wrong = await client.PostAsync("/dashboard/sign-in", DashboardServer.Form(token, ("username", "admin"), ("password", "not-the-password")));
        using var forged = await client.PostAsync("/dashboard/sign-in", DashboardServer.Form(null, ("username", "admin"), ("password", DashboardServer.Password)));

        Assert.Equal(HttpStatusCode.Redirect, wrong.StatusCode);
        Assert.Contains("error=wrong", wrong.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == ".OrbitMesh.Dashboard");
    }

    [Fact]
    public async Task Viewer_PostingTheCancelAHiddenButtonWouldPost_IsRefused_AndTheJobRunsOn()
    {
        await using var server = await DashboardServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "worker-1", ["work"]);
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        await Wait.UntilAsync(() => !agent.Assignments.IsEmpty, "the job reached the agent");
        using var viewer = await server.SignInAsync("viewer");

        // A viewer's page has no cancel button; this is the request one would make, with a valid token.
        var jobPage = await viewer.GetStringAsync($"/dashboard/jobs/{job.Id}");
        Assert.DoesNotContain("data-testid=\"cancel-job\"", jobPage, StringComparison.Ordinal);
        var token = await DashboardServer.FormTokenAsync(viewer, $"/dashboard/jobs/{job.Id}");
        using var refused = await viewer.PostAsync($"/dashboard/actions/jobs/{job.Id}/cancel", DashboardServer.Form(token, ("returnUrl", $"/dashboard/jobs/{job.Id}")));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("requires the operator role", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var after = await server.Mesh.Mesh.GetJobAsync(job.Id);
        Assert.False(after!.CancelRequested);
        Assert.False(after.IsFinal);
    }

    [Fact]
    public async Task Operator_CancelsAJob_ButNotWithoutTheAntiforgeryToken()
    {
        await using var server = await DashboardServer.StartAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "worker-1", ["work"]);
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        await Wait.UntilAsync(() => !agent.Assignments.IsEmpty, "the job reached the agent");
        using var operatorClient = await server.SignInAsync("operator");

        using var forged = await operatorClient.PostAsync($"/dashboard/actions/jobs/{job.Id}/cancel", DashboardServer.Form(null));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False((await server.Mesh.Mesh.GetJobAsync(job.Id))!.CancelRequested);

        var jobPage = await operatorClient.GetStringAsync($"/dashboard/jobs/{job.Id}");
        Assert.Contains("data-testid=\"cancel-job\"", jobPage, StringComparison.Ordinal);
        var token = await DashboardServer.FormTokenAsync(operatorClient, $"/dashboard/jobs/{job.Id}");
        using var cancelled = await operatorClient.PostAsync($"/dashboard/actions/jobs/{job.Id}/cancel", DashboardServer.Form(token, ("returnUrl", $"/dashboard/jobs/{job.Id}")));

        Assert.Equal(HttpStatusCode.SeeOther, cancelled.StatusCode);
        Assert.StartsWith($"/dashboard/jobs/{job.Id}?note=", cancelled.Headers.Location!.OriginalString, StringComparison.Ordinal);
        await Wait.UntilAsync(() => !agent.Cancellations.IsEmpty, "the agent was told to cancel");
    }

    [Fact]
    public async Task Operator_IsRefusedTheAdminActions()
    {
        await using var server = await DashboardServer.StartAsync();
        using var operatorClient = await server.SignInAsync("operator");
        var token = await DashboardServer.FormTokenAsync(operatorClient, "/dashboard/enrollment");

        using var create = await operatorClient.PostAsync("/dashboard/actions/tokens", DashboardServer.Form(token, ("uses", "1")));
        using var approve = await operatorClient.PostAsync("/dashboard/actions/nodes/some-node/approve", DashboardServer.Form(token));

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, approve.StatusCode);
        Assert.Empty(await server.Mesh.Services.GetRequiredService<OrbitMesh.Server.Security.Nodes.BootstrapTokenService>().ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Admin_CreatesATokenShownOnce_AndRevokesIt()
    {
        await using var server = await DashboardServer.StartAsync();
        using var admin = await server.SignInAsync("admin");
        var token = await DashboardServer.FormTokenAsync(admin, "/dashboard/enrollment");

        using var created = await admin.PostAsync("/dashboard/actions/tokens", DashboardServer.Form(token, ("uses", "3"), ("ttlHours", "2"), ("capabilities", "gpu, linux"), ("description", "rack 4")));
        var html = await created.Content.ReadAsStringAsync();
        var tokens = server.Mesh.Services.GetRequiredService<OrbitMesh.Server.Security.Nodes.BootstrapTokenService>();
        var stored = Assert.Single(await tokens.ListAsync(CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        Assert.Matches("data-testid=\"new-token\">[^<]{20,}</code>", html);
        Assert.Equal(3, stored.Uses);
        Assert.Equal(["gpu", "linux"], stored.Capabilities);
        var listed = await admin.GetStringAsync("/dashboard/enrollment");
        Assert.Contains(stored.Id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(System.Text.RegularExpressions.Regex.Match(html, "data-testid=\"new-token\">([^<]+)<").Groups[1].Value, listed, StringComparison.Ordinal);

        using var revoked = await admin.PostAsync($"/dashboard/actions/tokens/{stored.Id}/revoke", DashboardServer.Form(token, ("returnUrl", "/dashboard/enrollment")));
        Assert.Equal(HttpStatusCode.SeeOther, revoked.StatusCode);
        Assert.Equal("revoked", Assert.Single(await tokens.ListAsync(CancellationToken.None)).State);
    }

    [Fact]
    public async Task SessionCookie_DoesNotAuthenticateTheApi()
    {
        await using var server = await DashboardServer.StartAsync(closedApi: true);
        using var admin = await server.SignInAsync("admin");

        using var page = await admin.GetAsync("/dashboard/");
        using var api = await admin.GetAsync("/api/jobs");

        Assert.True(page.StatusCode == HttpStatusCode.OK, server.Errors());
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task PasswordChange_EndsTheSession_AndARoleChangeAppliesAtOnce()
    {
        await using var server = await DashboardServer.StartAsync();
        using var viewer = await server.SignInAsync("viewer");
        using var operatorClient = await server.SignInAsync("operator");
        var users = server.Mesh.Services.GetRequiredService<OrbitMesh.Server.Security.UserAccounts>();

        await users.SetRoleAsync("viewer", "operator");
        var page = await viewer.GetStringAsync("/dashboard/");
        Assert.Contains("viewer (operator)", page, StringComparison.Ordinal);

        await users.SetPasswordAsync("operator", "another-long-password");
        using var after = await operatorClient.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task InsecureDevelopment_LetsAnonymousIn_AsAdmin()
    {
        await using var server = await DashboardServer.StartAsync(insecure: true);
        using var client = server.NewBrowserlessClient(out _);

        using var r = await client.GetAsync("/dashboard/enrollment");
        Assert.True(r.IsSuccessStatusCode, string.Join("\n", server.Mesh.Logs.Entries.Where(e => e.Exception is not null).Select(e => e.Exception!.ToString())));
        var page = await r.Content.ReadAsStringAsync();

        Assert.Contains("data-testid=\"create-token\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_ReturnUrlOutsideTheDashboard_GoesToTheOverview()
    {
        await using var server = await DashboardServer.StartAsync();
        using var client = server.NewBrowserlessClient(out _);
        var token = await DashboardServer.FormTokenAsync(client, "/dashboard/login");

        using var response = await client.PostAsync("/dashboard/sign-in", DashboardServer.Form(token, ("username", "viewer"), ("password", DashboardServer.Password), ("returnUrl", "//evil.example/dashboard/")));

        Assert.Equal("/dashboard/", response.Headers.Location?.OriginalString);
    }
}
