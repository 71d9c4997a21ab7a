using Microsoft.Playwright;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>
/// One headless Debian Chromium per test class, driven by Playwright with <see cref="ExecutablePath"/>: the
/// browser named by <c>ORBITMESH_TEST_CHROMIUM</c> (<c>.ci/run</c> sets it), else <c>/usr/bin/chromium</c>.
/// Playwright's own browsers are never downloaded. Without a browser the tests fail with the way to get one
/// (they never skip, in CI or not).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private const string DefaultPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The browser's executable.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("ORBITMESH_TEST_CHROMIUM") is { Length: > 0 } path ? path : DefaultPath;

    public async Task InitializeAsync()
    {
        var path = ExecutablePath;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The dashboard's browser tests need Chromium at {path}: run the tests through .ci/run (it installs Debian's chromium), " +
                "or install it (apt-get install chromium) or set ORBITMESH_TEST_CHROMIUM to a Chromium executable. Never 'playwright install'.");
        }

        Assertions.SetDefaultExpectTimeout(BrowserSession.TimeoutMs);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            // Containers often run as root and with a small /dev/shm.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
