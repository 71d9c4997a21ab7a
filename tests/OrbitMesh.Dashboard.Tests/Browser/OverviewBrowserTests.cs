using System.Text.Json;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>The overview's throughput chart in a real headless Chromium, following jobs as they end.</summary>
public sealed class OverviewBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task Overview_ChartCountsSucceededAndFailedJobs_AsTheyEnd_WithoutARefresh()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        await using var agent = server.Mesh.NewAgent("chart-1")
            .RegisterHandler("calc", command => command.Parameters!.Value.GetProperty("fail").GetBoolean() ? throw new InvalidOperationException("asked to fail") : command.Parameters)
            .Build();
        await agent.ConnectAsync();
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Overview_ChartCountsSucceededAndFailedJobs_AsTheyEnd_WithoutARefresh), async page =>
        {
            await session.SignInAsync("viewer");
            var chart = page.GetByTestId("throughput-chart");
            await Expect(chart).ToHaveAttributeAsync("data-completed", "0");
            await Expect(chart).ToHaveAttributeAsync("data-failed", "0");
            await session.WaitInteractiveAsync();

            foreach (var fail in new[] { false, true, false })
            {
                await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "calc", Parameters = JsonSerializer.SerializeToElement(new { fail }), MaxAttempts = 1 });
            }

            await Expect(chart).ToHaveAttributeAsync("data-completed", "2");
            await Expect(chart).ToHaveAttributeAsync("data-failed", "1");
            await Expect(chart.Locator("rect.bar-ok")).Not.ToHaveCountAsync(0);
            await Expect(chart.Locator("rect.bar-bad")).Not.ToHaveCountAsync(0);
            await Expect(chart.Locator("figcaption")).ToContainTextAsync("succeeded 2");
            await session.DocsScreenshotAsync("overview-throughput");
        });
    }
}
