using System.Globalization;
using System.Text.Json;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>
/// The jobs page's time-range filter and the re-run of the failed jobs ticked in the table, in a real
/// headless Chromium against a real server on 127.0.0.1 with a real agent.
/// </summary>
public sealed class JobsBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public async Task Operator_FiltersJobsByTime_AndReRunsTheSelectedFailedJobs()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        var failing = true;
        await using var agent = server.Mesh.NewAgent("worker-r")
            .RegisterHandler("flaky", command => Volatile.Read(ref failing) ? throw new InvalidOperationException("flaky failed") : command.Parameters)
            .Build();
        await agent.ConnectAsync();
        var jobs = new List<JobRecord>();
        for (var n = 1; n <= 3; n++)
        {
            jobs.Add(await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "flaky", Parameters = JsonSerializer.SerializeToElement(new { n }), MaxAttempts = 1 }));
        }

        await using var session = await BrowserSession.OpenAsync(chromium, server);
        await session.RunAsync(nameof(Operator_FiltersJobsByTime_AndReRunsTheSelectedFailedJobs), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync("/dashboard/jobs");
            var rows = page.GetByTestId("jobs-table").Locator("tbody tr");
            foreach (var job in jobs)
            {
                await Expect(page.GetByTestId("jobs-table").Locator($"tr[data-job='{job.Id}']")).ToContainTextAsync("Failed");
            }

            await session.WaitInteractiveAsync();
            await page.GetByTestId("job-range-filter").SelectOptionAsync("1h");
            await Expect(rows).ToHaveCountAsync(3);

            // A range that ends before the jobs were created shows none; one that starts before, all three.
            var earlier = jobs.Min(j => j.CreatedAt).UtcDateTime.AddMinutes(-2).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
            await page.GetByTestId("job-range-filter").SelectOptionAsync("custom");
            await page.GetByTestId("job-to-filter").FillAsync(earlier);
            await Expect(page.GetByTestId("no-jobs")).ToBeVisibleAsync();
            await page.GetByTestId("job-to-filter").FillAsync("");
            await page.GetByTestId("job-from-filter").FillAsync(earlier);
            await Expect(rows).ToHaveCountAsync(3);
            await Expect(page.GetByTestId("jobs-shown")).ToContainTextAsync("newest 3 shown");

            // Tick two of the three and re-run them; the agent now succeeds.
            Volatile.Write(ref failing, false);
            await page.Locator($"tr[data-job='{jobs[0].Id}'] [data-testid='select-job']").CheckAsync();
            await page.Locator($"tr[data-job='{jobs[2].Id}'] [data-testid='select-job']").CheckAsync();
            await session.DocsScreenshotAsync("jobs-rerun");
            await page.GetByTestId("rerun-selected").ClickAsync();

            await Expect(page.GetByTestId("note")).ToContainTextAsync("Re-ran 2 of 2 selected job(s).");
            await Expect(page.GetByTestId("jobs-table").Locator("tbody tr", new() { HasText = "Completed" })).ToHaveCountAsync(2);
            await Expect(rows).ToHaveCountAsync(5);
        });

        var all = await server.Mesh.Mesh.ListJobsAsync(new JobQuery { Command = "flaky" });
        var reruns = all.Where(j => j.Status == JobStatus.Completed).Select(j => j.Parameters!.Value.GetProperty("n").GetInt32()).Order().ToList();
        Assert.Equal([1, 3], reruns);
        Assert.Equal(3, all.Count(j => j.Status == JobStatus.Failed));
    }

    [Fact]
    public async Task Viewer_SeesNoReRunBoxes_AndTheBulkReRunRequestIsRefused()
    {
        await using var server = await DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));
        await using var agent = server.Mesh.NewAgent("worker-v")
            .RegisterHandler("broken", command => throw new InvalidOperationException("always fails"))
            .Build();
        await agent.ConnectAsync();
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "broken", MaxAttempts = 1 });
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Viewer_SeesNoReRunBoxes_AndTheBulkReRunRequestIsRefused), async page =>
        {
            await session.SignInAsync("viewer");
            await page.GotoAsync("/dashboard/jobs");
            await Expect(page.GetByTestId("jobs-table").Locator($"tr[data-job='{job.Id}']")).ToContainTextAsync("Failed");
            await Expect(page.GetByTestId("select-job")).ToHaveCountAsync(0);
            await Expect(page.GetByTestId("rerun-selected")).ToHaveCountAsync(0);

            Assert.Equal(403, await session.PostAsHiddenButtonAsync("/dashboard/actions/jobs/rerun", new Dictionary<string, string> { ["id"] = job.Id }));
        });

        Assert.Single(await server.Mesh.Mesh.ListJobsAsync(new JobQuery { Command = "broken" }));
    }
}
