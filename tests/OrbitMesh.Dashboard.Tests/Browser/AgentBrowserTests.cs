using System.Net;
using System.Text;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>An agent's page in a real headless Chromium: its twin, pushed as it changes, and the drain (pause).</summary>
public sealed class AgentBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task AgentPage_ShowsTheTwinAsDesiredAndReportedChange_WithoutARefresh_AndAnOperatorDrainsIt()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        await using var agent = server.Mesh.NewAgent("twin-1").RegisterHandler("noop", _ => null).Build();
        await agent.ConnectAsync();
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        using var http = new HttpClient { BaseAddress = server.Url };

        await session.RunAsync(nameof(AgentPage_ShowsTheTwinAsDesiredAndReportedChange_WithoutARefresh_AndAnOperatorDrainsIt), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync("/dashboard/agents/twin-1");
            await Expect(page.GetByTestId("twin-desired-version")).ToHaveTextAsync("v0");
            await Expect(page.GetByTestId("twin-reported-version")).ToHaveTextAsync("v0");
            await session.WaitInteractiveAsync();

            // The desired properties set through the API reach the agent, which applies them; the page follows.
            using var patch = new StringContent("""{ "desired": { "mode": "eco" } }""", Encoding.UTF8, "application/json");
            using var patched = await http.PatchAsync("/api/agents/twin-1/twin", patch);
            Assert.True(patched.StatusCode == HttpStatusCode.OK, await patched.Content.ReadAsStringAsync());
            await Expect(page.GetByTestId("twin-desired-version")).ToHaveTextAsync("v1");
            await Expect(page.GetByTestId("twin-desired")).ToContainTextAsync("\"mode\": \"eco\"");
            await Expect(page.GetByTestId("twin-acknowledged")).ToHaveTextAsync("applied by the agent (v1)");

            await agent.Twin.ReportAsync(new { temperature = 21 });
            await Expect(page.GetByTestId("twin-reported-version")).ToHaveTextAsync("v1");
            await Expect(page.GetByTestId("twin-reported")).ToContainTextAsync("\"temperature\": 21");
            await session.DocsScreenshotAsync("agent-detail");

            await page.GetByTestId("pause-agent").ClickAsync();
            await Expect(page.GetByTestId("note")).ToContainTextAsync("Agent twin-1 is Paused.");
            await Expect(page.GetByTestId("agent-status")).ToHaveTextAsync("Paused");
        });
    }
}
