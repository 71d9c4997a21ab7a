using Microsoft.Playwright;
using OrbitMesh.Dashboard.Tests.Infrastructure;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>
/// A browser context of its own (own cookies) on a dashboard server. <see cref="RunAsync"/> saves a
/// screenshot of the page under the test output directory (<c>screenshots/</c>) when the test body fails.
/// With <c>ORBITMESH_DOCS_IMAGES</c> set to a directory, <see cref="DocsScreenshotAsync"/> saves the
/// pictures docs/dashboard.md shows there.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    /// <summary>How long an expectation waits (CI machines are slow and shared).</summary>
    public const float TimeoutMs = 20_000;

    private readonly IBrowserContext _context;

    private BrowserSession(IBrowserContext context, IPage page, DashboardServer server)
    {
        _context = context;
        Page = page;
        Server = server;
    }

    public IPage Page { get; }

    public DashboardServer Server { get; }

    public static async Task<BrowserSession> OpenAsync(ChromiumFixture chromium, DashboardServer server)
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Url.ToString(),
            ViewportSize = new ViewportSize { Width = 1100, Height = 720 },
        });
        context.SetDefaultTimeout(TimeoutMs);
        var page = await context.NewPageAsync();
        return new BrowserSession(context, page, server);
    }

    /// <summary>Runs <paramref name="body"/>; on failure saves a screenshot named after <paramref name="test"/> and rethrows.</summary>
    public async Task RunAsync(string test, Func<IPage, Task> body)
    {
        try
        {
            await body(Page);
        }
        catch (Exception)
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(directory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, test + ".png"), FullPage = true, Timeout = 5_000 });
            throw;
        }
    }

    /// <summary>
    /// Waits until the circuit has taken over the prerendered page: what is typed into a form before that
    /// is replaced by the interactive render.
    /// </summary>
    public Task WaitInteractiveAsync() =>
        Assertions.Expect(Page.Locator("main[data-interactive='true']")).ToHaveCountAsync(1, new() { Timeout = TimeoutMs });

    /// <summary>Lets the page write and read the clipboard (the copy buttons), as a user's click would.</summary>
    public Task GrantClipboardAsync() =>
        _context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new BrowserContextGrantPermissionsOptions { Origin = Server.Url.GetLeftPart(UriPartial.Authority) });

    /// <summary>What the clipboard holds.</summary>
    public Task<string> ClipboardAsync() => Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");

    /// <summary>
    /// Posts to <paramref name="path"/> from the current page with its session and the page's antiforgery
    /// token, as a button hidden from this user would, and returns the status (redirects not followed).
    /// </summary>
    public Task<int> PostAsHiddenButtonAsync(string path, IReadOnlyDictionary<string, string>? fields = null) =>
        Page.EvaluateAsync<int>(
            """
            async ([path, fields]) => {
                const token = document.querySelector("input[name='__RequestVerificationToken']").value;
                const body = new URLSearchParams({ ...fields, __RequestVerificationToken: token, returnUrl: location.pathname });
                const response = await fetch(path, { method: "POST", body, redirect: "manual" });
                return response.status;
            }
            """,
            new object[] { path, fields ?? new Dictionary<string, string>() });

    /// <summary>Signs in through the form, as a user would, and waits for the overview.</summary>
    public async Task SignInAsync(string username)
    {
        await Page.GotoAsync("/dashboard/");
        await Assertions.Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dashboard/login"), new() { Timeout = TimeoutMs });
        await Page.GetByLabel("Username").FillAsync(username);
        await Page.GetByLabel("Password").FillAsync(DashboardServer.Password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByTestId("user")).ToContainTextAsync($"{username} ({username})", new() { Timeout = TimeoutMs });
    }

    /// <summary>Saves the page for the docs when <c>ORBITMESH_DOCS_IMAGES</c> names a directory.</summary>
    public async Task DocsScreenshotAsync(string name)
    {
        if (Environment.GetEnvironmentVariable("ORBITMESH_DOCS_IMAGES") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), Type = ScreenshotType.Png, Animations = ScreenshotAnimations.Disabled });
        }
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
