using System.Net;
using System.Net.Http.Json;
using OrbitMesh.Agent.Security;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using OrbitMesh.Security;
using OrbitMesh.Server.Security;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>
/// The audit log, users and API keys pages and the enrollment page's live updates and copy button, in a
/// real headless Chromium against a real server on 127.0.0.1; what a viewer may not do is refused by the
/// server, not only hidden.
/// </summary>
public sealed class SecurityPagesBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task Admin_CreatesAnApiKey_CopiesItOnce_ItWorks_ThenRevokesIt_AndTheAuditLogShowsBoth()
    {
        // The REST API needs a credential here, so the key's use and refusal are real.
        await using var server = await DashboardServer.StartAsync(closedApi: true, refreshInterval: TimeSpan.FromMinutes(1));
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        using var api = new HttpClient { BaseAddress = server.Url };
        string key = "", id = "";

        await session.RunAsync(nameof(Admin_CreatesAnApiKey_CopiesItOnce_ItWorks_ThenRevokesIt_AndTheAuditLogShowsBoth), async page =>
        {
            await session.GrantClipboardAsync();
            await session.SignInAsync("admin");
            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "API keys" })).ToHaveAttributeAsync("href", "dashboard/api-keys");
            await page.GotoAsync("/dashboard/api-keys");
            await Expect(page.GetByTestId("no-api-keys")).ToBeVisibleAsync();
            await session.WaitInteractiveAsync();
            await page.GetByTestId("api-key-name").FillAsync("ci-reader");
            await page.GetByTestId("api-key-role").SelectOptionAsync("viewer");
            await page.GetByTestId("create-api-key-submit").ClickAsync();

            await Expect(page.GetByTestId("new-api-key")).ToContainTextAsync("omk_");
            key = await page.GetByTestId("new-api-key").InnerTextAsync();
            id = await page.GetByTestId("new-api-key-id").InnerTextAsync();
            await page.GetByTestId("copy-api-key").ClickAsync();
            await Expect(page.GetByTestId("copy-api-key")).ToHaveTextAsync("Copied");
            Assert.Equal(key, await session.ClipboardAsync());
            Assert.Equal(HttpStatusCode.OK, await StatusWithKeyAsync(api, key));

            await page.GotoAsync("/dashboard/api-keys");
            var row = page.GetByTestId("api-keys").Locator($"tr[data-key='{id}']");
            await Expect(row).ToContainTextAsync("ci-reader");
            await Expect(row).ToContainTextAsync("viewer");
            await Expect(row).ToContainTextAsync("user:admin");
            Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
            await session.DocsScreenshotAsync("api-keys");

            await row.GetByTestId("revoke-api-key").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync($"API key {id} revoked.");
            await Expect(row).ToHaveCountAsync(0);
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithKeyAsync(api, key));

            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Audit log" })).ToHaveAttributeAsync("href", "dashboard/audit");
            await page.GotoAsync("/dashboard/audit");
            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Audit log");
            await session.WaitInteractiveAsync();
            await page.GetByTestId("audit-type-filter").FillAsync("apikey.*");
            await page.GetByTestId("audit-type-filter").PressAsync("Tab");
            var entries = page.GetByTestId("audit").Locator("tbody tr");
            await Expect(entries).ToHaveCountAsync(2);
            await Expect(entries.Nth(0)).ToContainTextAsync("revoked in the dashboard");
            await Expect(entries.Nth(1)).ToContainTextAsync("created 'ci-reader' with role viewer");
            await Expect(entries.Nth(1)).ToContainTextAsync("user:admin");
            await page.GetByTestId("audit-type-filter").FillAsync("");
            await page.GetByTestId("audit-type-filter").PressAsync("Tab");
            await Expect(page.GetByTestId("audit").Locator("tr[data-type='auth.login']").First).ToBeVisibleAsync();
            await session.DocsScreenshotAsync("audit");
        });
    }

    [Fact]
    public async Task Viewer_SeesNoKeysOrUsers_AndTheRequestsTheHiddenButtonsWouldMakeAreRefused()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        var keys = server.Mesh.Services.GetRequiredService<ApiKeys>();
        var existing = await keys.CreateAsync("deploy", OrbitMeshRoles.Operator, "user:admin");
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Viewer_SeesNoKeysOrUsers_AndTheRequestsTheHiddenButtonsWouldMakeAreRefused), async page =>
        {
            await session.SignInAsync("viewer");
            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "API keys" })).ToHaveCountAsync(0);
            await page.GotoAsync("/dashboard/api-keys");
            await Expect(page.GetByTestId("admins-only")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("create-api-key")).ToHaveCountAsync(0);
            Assert.DoesNotContain(existing.Id, await page.ContentAsync(), StringComparison.Ordinal);

            Assert.Equal(403, await session.PostAsHiddenButtonAsync("/dashboard/actions/api-keys", new Dictionary<string, string> { ["name"] = "mine", ["role"] = "admin" }));
            Assert.Equal(403, await session.PostAsHiddenButtonAsync($"/dashboard/actions/api-keys/{existing.Id}/revoke"));

            await page.GotoAsync("/dashboard/users");
            await Expect(page.GetByTestId("admins-only")).ToBeVisibleAsync();
            Assert.Equal(403, await session.PostAsHiddenButtonAsync("/dashboard/actions/users/viewer/role", new Dictionary<string, string> { ["role"] = "admin" }));
            Assert.Equal(403, await session.PostAsHiddenButtonAsync("/dashboard/actions/users", new Dictionary<string, string> { ["username"] = "mallory", ["password"] = DashboardServer.Password, ["role"] = "admin" }));

            // The audit log is for every role, as GET /api/audit is.
            await page.GotoAsync("/dashboard/audit");
            await Expect(page.GetByTestId("audit").Locator("tr[data-type='auth.login']").First).ToBeVisibleAsync();
        });

        var listed = await keys.ListAsync();
        Assert.Equal([existing.Id], listed.Select(k => k.Id));
        var accounts = server.Mesh.Services.GetRequiredService<UserAccounts>();
        Assert.Equal(OrbitMeshRoles.Viewer, (await accounts.GetAsync("viewer"))!.Role);
        Assert.Null(await accounts.GetAsync("mallory"));
    }

    [Fact]
    public async Task Admin_CreatesAUser_AndChangesItsRole_AndTheNewUserSignsIn()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        await using var admin = await BrowserSession.OpenAsync(chromium, server);

        await admin.RunAsync(nameof(Admin_CreatesAUser_AndChangesItsRole_AndTheNewUserSignsIn), async page =>
        {
            await admin.SignInAsync("admin");
            await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Users" })).ToHaveAttributeAsync("href", "dashboard/users");
            await page.GotoAsync("/dashboard/users");
            await Expect(page.GetByTestId("create-user")).ToBeVisibleAsync();
            await admin.WaitInteractiveAsync();
            await page.GetByTestId("user-name").FillAsync("grace");
            await page.GetByTestId("user-password").FillAsync("short");
            await page.GetByTestId("user-password").EvaluateAsync("e => e.removeAttribute('minlength')");
            await page.GetByTestId("create-user-submit").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync("at least");
            await Expect(page.GetByTestId("users").Locator("tr[data-user='grace']")).ToHaveCountAsync(0);
            await admin.WaitInteractiveAsync();

            await page.GetByTestId("user-name").FillAsync("grace");
            await page.GetByTestId("user-password").FillAsync(DashboardServer.Password);
            await page.GetByTestId("user-role").SelectOptionAsync("viewer");
            await page.GetByTestId("create-user-submit").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync("User grace created with role viewer.");
            var row = page.GetByTestId("users").Locator("tr[data-user='grace']");
            await Expect(row.GetByTestId("user-role-cell")).ToHaveTextAsync("viewer");
            await admin.WaitInteractiveAsync();
            await RoleSelect(row).SelectOptionAsync("operator");
            await row.GetByTestId("set-role").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync("grace is now operator.");
            await Expect(page.GetByTestId("users").Locator("tr[data-user='grace']").GetByTestId("user-role-cell")).ToHaveTextAsync("operator");
            await admin.DocsScreenshotAsync("users");
            await admin.WaitInteractiveAsync();

            // The last admin cannot be demoted.
            var self = page.GetByTestId("users").Locator("tr[data-user='admin']");
            await RoleSelect(self).SelectOptionAsync("viewer");
            await self.GetByTestId("set-role").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync("last admin");
        });

        await using var grace = await BrowserSession.OpenAsync(chromium, server);
        await grace.RunAsync(nameof(Admin_CreatesAUser_AndChangesItsRole_AndTheNewUserSignsIn) + "-grace", async page =>
        {
            await page.GotoAsync("/dashboard/");
            await page.GetByLabel("Username").FillAsync("grace");
            await page.GetByLabel("Password").FillAsync(DashboardServer.Password);
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByTestId("user")).ToContainTextAsync("grace (operator)");
        });

        static Microsoft.Playwright.ILocator RoleSelect(Microsoft.Playwright.ILocator row) => row.Locator("select[name='role']");
    }

    [Fact]
    public async Task Enrollment_ShowsNewTokensAndPendingNodes_WithoutARefresh_AndTheNewTokenIsCopied()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        using var http = new HttpClient { BaseAddress = server.Url };
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-node-" + Guid.NewGuid().ToString("N"));
        try
        {
            await session.RunAsync(nameof(Enrollment_ShowsNewTokensAndPendingNodes_WithoutARefresh_AndTheNewTokenIsCopied), async page =>
            {
                await session.GrantClipboardAsync();
                await session.SignInAsync("admin");
                await page.GotoAsync("/dashboard/enrollment");
                await Expect(page.GetByTestId("no-pending")).ToBeVisibleAsync();

                // A token and an enrollment made elsewhere (the REST API, as the CLI does) reach the open page.
                using var created = await http.PostAsJsonAsync("/api/tokens", new BootstrapTokenRequest { Uses = 1, Capabilities = ["echo"] }, OrbitMeshJson.Options);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var token = (await created.Content.ReadFromJsonAsync<BootstrapTokenView>(OrbitMeshJson.Options))!;
                await Expect(page.GetByTestId("tokens").Locator($"tr[data-token='{token.Id}']")).ToContainTextAsync("active");

                var identity = NodeIdentity.Create(directory, "edge-9");
                await new NodeEnrollmentClient(http, server.Url).RequestAsync(identity, token.Token!, null, ["echo"]);
                await Expect(page.GetByTestId("pending-nodes").Locator("tr[data-node='edge-9']")).ToBeVisibleAsync();
                await Expect(page.GetByTestId("tokens").Locator($"tr[data-token='{token.Id}']")).ToContainTextAsync("0 of 1");

                // A token made here is shown once, with a copy button.
                await page.GetByTestId("create-token-submit").ClickAsync();
                await Expect(page.GetByTestId("new-token")).ToBeVisibleAsync();
                var secret = await page.GetByTestId("new-token").InnerTextAsync();
                await page.GetByTestId("copy-token").ClickAsync();
                await Expect(page.GetByTestId("copy-token")).ToHaveTextAsync("Copied");
                Assert.Equal(secret, await session.ClipboardAsync());
            });
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static async Task<HttpStatusCode> StatusWithKeyAsync(HttpClient api, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/agents");
        request.Headers.Add("X-Api-Key", key);
        using var response = await api.SendAsync(request);
        return response.StatusCode;
    }
}
