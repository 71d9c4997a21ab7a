using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OrbitMesh.Dashboard.Tests.Infrastructure;
using OrbitMesh.Protocol;
using OrbitMesh.Workflows;
using static Microsoft.Playwright.Assertions;

namespace OrbitMesh.Dashboard.Tests.Browser;

/// <summary>The workflow pages in a real Chromium: definitions, starting a run with parameters, the DAG following the run, cancelling.</summary>
public sealed class WorkflowBrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static Task<DashboardServer> StartServerAsync() => DashboardServer.StartAsync(refreshInterval: TimeSpan.FromMinutes(1));

    /// <summary>build, then test-a and test-b side by side, then deploy.</summary>
    private static WorkflowDefinition Release() =>
        new WorkflowBuilder("release")
            .AddCommand("build", "build", new { release = "${{ params.release }}" })
            .AddParallel(a => a.AddCommand("test-a", "test"), b => b.AddCommand("test-b", "test"))
            .AddCommand("deploy", "deploy")
            .Build() with { Description = "Build, test twice in parallel, deploy", RequiredParameters = ["release"] };

    [Fact]
    public async Task Operator_StartsAWorkflowWithParameters_AndSeesItsDagStepsChangeState()
    {
        await using var server = await StartServerAsync();
        var engine = server.Mesh.Services.GetRequiredService<WorkflowEngine>();
        await engine.RegisterAsync(Release());
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "builder-1", ["build", "test", "deploy"]);
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Operator_StartsAWorkflowWithParameters_AndSeesItsDagStepsChangeState), async page =>
        {
            await session.SignInAsync("operator");
            // Straight to the page: a click on the side link while the overview's circuit starts can be lost.
            await page.GotoAsync("/dashboard/workflows");
            await Expect(page.GetByTestId("workflows-table").Locator("tr[data-workflow='release']")).ToContainTextAsync("v1");
            await session.DocsScreenshotAsync("workflows");
            await page.GetByTestId("workflows-table").GetByRole(AriaRole.Link, new() { Name = "release" }).ClickAsync();
            await Expect(page.GetByTestId("dag").Locator("[data-step]")).ToHaveCountAsync(4);
            await Expect(page.GetByTestId("dag").Locator("[data-edge]")).ToHaveCountAsync(4);
            await session.DocsScreenshotAsync("workflow-definition");

            await page.GetByTestId("run-parameters").FillAsync("""{ "release": "1.2.3" }""");
            await page.GetByTestId("start-run-submit").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("/dashboard/workflow-runs/"));
            await Expect(page.GetByTestId("note")).ToContainTextAsync("started");
            var dag = page.GetByTestId("dag");
            await Expect(page.GetByTestId("run-status")).ToHaveTextAsync("running");

            var build = await NextAsync(agent, "build");
            Assert.Equal("1.2.3", build.Parameters!.Value.GetProperty("release").GetString());
            await Expect(dag.Locator("[data-step='build']")).ToHaveAttributeAsync("data-status", "running");
            await Expect(dag.Locator("[data-step='deploy']")).ToHaveAttributeAsync("data-status", "pending");
            await agent.CompleteAsync(build, new { artifact = "app-1.2.3.tgz" });

            await Expect(dag.Locator("[data-step='build']")).ToHaveAttributeAsync("data-status", "succeeded");
            var first = await NextAsync(agent, "test");
            var second = await NextAsync(agent, "test");
            await Expect(dag.Locator("[data-step='test-a']")).ToHaveAttributeAsync("data-status", "running");
            await Expect(dag.Locator("[data-step='test-b']")).ToHaveAttributeAsync("data-status", "running");
            await session.DocsScreenshotAsync("workflow-run");
            await agent.CompleteAsync(first, null);
            await agent.CompleteAsync(second, null);

            var deploy = await NextAsync(agent, "deploy");
            await Expect(dag.Locator("[data-step='test-a']")).ToHaveAttributeAsync("data-status", "succeeded");
            await Expect(dag.Locator("[data-step='deploy']")).ToHaveAttributeAsync("data-status", "running");
            await agent.CompleteAsync(deploy, null);

            await Expect(dag.Locator("[data-step='deploy']")).ToHaveAttributeAsync("data-status", "succeeded");
            await Expect(page.GetByTestId("run-status")).ToHaveTextAsync("succeeded");
            await Expect(page.GetByTestId("cancel-run")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task Operator_CancelsARun_AndTheRunningStepIsCancelled()
    {
        await using var server = await StartServerAsync();
        var engine = server.Mesh.Services.GetRequiredService<WorkflowEngine>();
        await engine.RegisterAsync(Release());
        await using var agent = await ScriptedAgent.ConnectAsync(server.Mesh, "builder-2", ["build", "test", "deploy"]);
        var run = await engine.StartRunAsync("release", OrbitMeshJson.ToElement(new { release = "2.0" }));
        var build = await NextAsync(agent, "build");
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Operator_CancelsARun_AndTheRunningStepIsCancelled), async page =>
        {
            await session.SignInAsync("operator");
            await page.GotoAsync($"/dashboard/workflow-runs/{run.RunId}");
            await Expect(page.GetByTestId("dag").Locator("[data-step='build']")).ToHaveAttributeAsync("data-status", "running");

            await page.GetByTestId("cancel-run").ClickAsync();

            await Expect(page.GetByTestId("note")).ToContainTextAsync($"Run {run.RunId}: cancellation requested");
            await Wait.UntilAsync(() => agent.Cancellations.Any(c => c.JobId == build.JobId), "the build job was cancelled on its agent");
            await agent.FailAsync(build, new JobError(MeshErrorCodes.Cancelled, "cancelled by the test's agent"));
            await Expect(page.GetByTestId("run-status")).ToHaveTextAsync("cancelled");
            await Expect(page.GetByTestId("dag").Locator("[data-step='deploy']")).Not.ToHaveAttributeAsync("data-status", "running");
        });
        Assert.Equal(WorkflowRunStatus.Cancelled, (await engine.GetRunAsync(run.RunId))!.Status);
    }

    [Fact]
    public async Task Viewer_SeesNoStartForm_AndTheStartRequestIsRefused()
    {
        await using var server = await StartServerAsync();
        var engine = server.Mesh.Services.GetRequiredService<WorkflowEngine>();
        await engine.RegisterAsync(Release());
        await using var session = await BrowserSession.OpenAsync(chromium, server);

        await session.RunAsync(nameof(Viewer_SeesNoStartForm_AndTheStartRequestIsRefused), async page =>
        {
            await session.SignInAsync("viewer");
            await page.GotoAsync("/dashboard/workflows/release");
            await Expect(page.GetByTestId("dag")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("start-run")).ToHaveCountAsync(0);

            var status = await page.EvaluateAsync<int>(
                """
                async () => {
                    const token = document.querySelector("input[name='__RequestVerificationToken']").value;
                    const body = new URLSearchParams({ __RequestVerificationToken: token, parameters: '{"release":"9"}', version: "1" });
                    const response = await fetch("/dashboard/actions/workflows/release/runs", { method: "POST", body, redirect: "manual" });
                    return response.status;
                }
                """);

            Assert.Equal(403, status);
        });
        Assert.Empty(await engine.ListRunsAsync(new WorkflowRunQuery()));
    }

    private static async Task<JobAssignment> NextAsync(ScriptedAgent agent, string command)
    {
        var assignment = await agent.NextAssignmentAsync($"a '{command}' job");
        Assert.Equal(command, assignment.Command);
        agent.Held[assignment.JobId] = assignment;
        await agent.AckAsync(assignment);
        return assignment;
    }
}
