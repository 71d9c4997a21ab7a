using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrbitMesh.Agent.Security;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using OrbitMesh.Security;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>
/// The dashboard in a real headless Chromium against a real server on 127.0.0.1 (a free port) with real
/// agents connected over SignalR: what a user sees and does, updated by pushed renders.
/// </summary>
public sealed class DashboardBrowserTests(ChromiumFixture chromium, ITestOutputHelper output) : IClassFixture<ChromiumFixture>
{
    /// <summary>
    /// Pages reload on their own only once a minute here: what a test sees change within its timeout was
    /// pushed by the server's events.
    /// </summary>
    private static Task<DashboardServer> StartServerAsync() => DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));

    [Fact]
    public async Task SignIn_ThroughTheForm_ShowsTheOverview_AndAWrongPasswordIsRefused()
    {
        await using var server = await StartServerAsync();
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(SignIn_ThroughTheForm_ShowsTheOverview_AndAWrongPasswordIsRefused), async page =>
        {
            await page.GotoAsync("/dashboard/jobs");
            await Expect(page).ToHaveURLAsync(new Regex("/dashboard/login"));
            await page.GetByLabel("Username").FillAsync("admin");
            await page.GetByLabel("Password").FillAsync("not-the-password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByTestId("login-error")).ToContainTextAsync("wrong");
            await session.DocsScreenshotAsync("login");

            await session.SignInAsync("admin");
            await Expect(page).ToHaveURLAsync(new Regex("/dashboard/$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Overview");
            await session.DocsScreenshotAsync("overview");
        });
    }

    [Fact]
    public async Task Admin_ApprovesAPendingNode_AndSeesItConnect()
    {
        await using var server = await StartServerAsync();
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        using var http = new HttpClient { BaseAddress = server.Url };
        var enrollment = new NodeEnrollmentClient(http, server.Url);
        var directory = Path.Combine(Path.GetTempPath(), "orbitmesh-node-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var created = await http.PostAsJsonAsync("/api/tokens", new BootstrapTokenRequest { Uses = 1, Capabilities = ["echo"] }, OrbitMeshJson.Options);
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
            var token = (await created.Content.ReadFromJsonAsync<BootstrapTokenView>(OrbitMeshJson.Options))!;
            var identity = NodeIdentity.Create(directory, "edge-7");
            var pending = await enrollment.RequestAsync(identity, token.Token!, null, ["echo"]);
            Assert.Equal(NodeStatus.Pending, pending.Status);

            await session.RunAsync(nameof(Admin_ApprovesAPendingNode_AndSeesItConnect), async page =>
            {
                await session.SignInAsync("admin");
                await page.GotoAsync("/dashboard/enrollment");
                var row = page.GetByTestId("pending-nodes").Locator("tr[data-node='edge-7']");
                await Expect(row).ToBeVisibleAsync();
                await session.DocsScreenshotAsync("enrollment");
                await row.GetByTestId("approve-node").ClickAsync();

                await Expect(page.GetByTestId("note")).ToContainTextAsync("Node edge-7 approved.");
                await Expect(page.GetByTestId("nodes").Locator("tr[data-node='edge-7']")).ToContainTextAsync("Approved");

                // The node connects by proof of its key, as 'orbitmesh agent --enroll-token' does once approved.
                Assert.Equal(NodeStatus.Approved, (await enrollment.StatusAsync(identity)).Status);
                await using var agent = new OrbitMesh.Agent.MeshAgentBuilder()
                    .WithServer(server.Url)
                    .WithNodeIdentity(identity, http)
                    .RegisterHandler("echo", c => c.Parameters)
                    .Build();
                await agent.ConnectAsync();

                await page.GotoAsync("/dashboard/agents");
                var agentRow = page.GetByTestId("agents-table").Locator("tr[data-agent='edge-7']");
                await Expect(agentRow.Locator("td").Nth(2)).ToHaveTextAsync("Ready");
                await session.DocsScreenshotAsync("agents");
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

    [Fact]
    public async Task LongJob_ProgressBarMoves_WithoutARefresh_AndFinishes()
    {
        await using var server = await StartServerAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "worker-1", ["render"]);
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "render", Pattern = ExecutionPattern.LongRunning });
        var assignment = await agent.NextAssignmentAsync();
        agent.Held[assignment.JobId] = assignment;
        await agent.AckAsync(assignment);

        await session.RunAsync(nameof(LongJob_ProgressBarMoves_WithoutARefresh_AndFinishes), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync($"/dashboard/jobs/{job.Id}");
            var bar = page.GetByTestId("job-progress");
            await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("Running");
            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "0");

            await agent.ProgressAsync(assignment, 30, "frame 30 of 100");
            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "30");
            await Expect(page.GetByTestId("job-progress-text")).ToHaveTextAsync("30 %");

            await agent.ProgressAsync(assignment, 75, "frame 75 of 100");
            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "75");
            await session.DocsScreenshotAsync("job-detail");

            await agent.CompleteAsync(assignment, new { frames = 100 });
            await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("Completed");
            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "100");
            await Expect(page.GetByTestId("job-result")).ToContainTextAsync("100");
        });
    }

    [Fact]
    public async Task ManyProgressReports_AreBatched_IntoAFewRendersASecond()
    {
        await using var server = await StartServerAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "worker-4", ["burst"]);
        await using var session = await BrowserSession.OpenAsync(chromium, server);
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "burst", Pattern = ExecutionPattern.LongRunning });
        var assignment = await agent.NextAssignmentAsync();
        agent.Held[assignment.JobId] = assignment;
        await agent.AckAsync(assignment);

        await session.RunAsync(nameof(ManyProgressReports_AreBatched_IntoAFewRendersASecond), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync($"/dashboard/jobs/{job.Id}");
            var bar = page.GetByTestId("job-progress");
            await agent.ProgressAsync(assignment, 1);
            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "1");

            // Count the renders that reach the progress bar from now on.
            await page.EvaluateAsync(
                """
                () => {
                    window.progressRenders = 0;
                    const bar = document.querySelector("[data-testid='job-progress']");
                    new MutationObserver(() => window.progressRenders++).observe(bar, { attributes: true, attributeFilter: ["aria-valuenow"] });
                }
                """);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var percent = 2; percent <= 99; percent++)
            {
                await agent.ProgressAsync(assignment, percent);
            }

            await Expect(bar).ToHaveAttributeAsync("aria-valuenow", "99");
            var seconds = watch.Elapsed.TotalSeconds;
            var renders = await page.EvaluateAsync<int>("() => window.progressRenders");
            output.WriteLine($"98 progress reports in {seconds:0.00} s reached the page as {renders} renders.");

            // 98 reports; the page renders at most once per push interval (250 ms), plus the one under way.
            var ceiling = (int)Math.Ceiling(seconds / DashboardOptions.DefaultPushInterval.TotalSeconds) + 2;
            Assert.InRange(renders, 1, Math.Min(ceiling, 97));
        });
    }

    [Fact]
    public async Task Operator_CancelsARunningJob_AndSeesItCancelled()
    {
        await using var server = await StartServerAsync();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var agent = server.Mesh.NewAgent("worker-2")
            .RegisterHandler("wait", async (command, cancellationToken) =>
            {
                started.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return null;
            })
            .Build();
        await agent.ConnectAsync();
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "wait", Pattern = ExecutionPattern.LongRunning });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Operator_CancelsARunningJob_AndSeesItCancelled), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync("/dashboard/jobs");
            await Expect(page.GetByTestId("jobs-table").Locator($"tr[data-job='{job.Id}']")).ToContainTextAsync("Running");
            await session.DocsScreenshotAsync("jobs");

            // A click while the circuit takes over the prerendered page can be lost: wait for it first.
            await session.WaitInteractiveAsync();
            await page.GetByTestId("jobs-table").Locator($"tr[data-job='{job.Id}'] a").First.ClickAsync();
            await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("Running");

            await page.GetByTestId("cancel-job").ClickAsync();

            await Expect(page.GetByTestId("note")).ToContainTextAsync($"Cancellation of job {job.Id} requested.");
            await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("Cancelled");
            await Expect(page.GetByTestId("cancel-job")).ToHaveCountAsync(0);
        });
        Assert.Equal(JobStatus.Cancelled, (await server.Mesh.Mesh.GetJobAsync(job.Id))!.Status);
    }

    [Fact]
    public async Task Viewer_SeesNoCancelButton_AndTheRequestItWouldMakeIsRefused()
    {
        await using var server = await StartServerAsync();
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "worker-3", ["work"]);
        var job = await server.Mesh.Mesh.SubmitAsync(new JobRequest { Command = "work" });
        var assignment = await agent.NextAssignmentAsync();
        agent.Held[assignment.JobId] = assignment;
        await agent.AckAsync(assignment);
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Viewer_SeesNoCancelButton_AndTheRequestItWouldMakeIsRefused), async page =>
        {
            await session.SignInAsync("viewer");
            await page.GotoAsync($"/dashboard/jobs/{job.Id}");
            await Expect(page.GetByTestId("job-status")).ToHaveTextAsync("Running");
            await Expect(page.GetByTestId("cancel-job")).ToHaveCountAsync(0);

            // The post the operator's Cancel button makes, from this page, with its session and a valid antiforgery token.
            var status = await page.EvaluateAsync<int>(
                """
                async (path) => {
                    const token = document.querySelector("input[name='__RequestVerificationToken']").value;
                    const body = new URLSearchParams({ __RequestVerificationToken: token, returnUrl: location.pathname });
                    const response = await fetch(path, { method: "POST", body, redirect: "manual" });
                    return response.status;
                }
                """,
                $"/dashboard/actions/jobs/{job.Id}/cancel");

            Assert.Equal(403, status);
        });
        var after = await server.Mesh.Mesh.GetJobAsync(job.Id);
        Assert.False(after!.CancelRequested);
        Assert.Equal(JobStatus.Running, after.Status);
        Assert.True(agent.Cancellations.IsEmpty);
    }
}
