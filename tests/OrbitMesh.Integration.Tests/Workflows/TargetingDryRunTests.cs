using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Workflows;

/// <summary>Targeting dry runs against a real server and agent processes: where work would go, why not elsewhere, and nothing submitted.</summary>
public sealed class TargetingDryRunTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DryRuns_ListTheChosenAgent_AndWhyEveryOtherIsExcluded_WithoutSubmitting()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "web-1", capabilities: ["web"], groups: ["eu"]);
        await mesh.StartAgentAsync(server.Url, "web-2", capabilities: ["web"], groups: ["eu"]);
        await mesh.StartAgentAsync(server.Url, "db-1", capabilities: ["db"], groups: ["eu"]);
        using (var api = new MeshApi(server.Url))
        {
            await api.WaitForReadyAsync(["web-1", "web-2", "db-1"], "the three agents are Ready", MeshProcesses.StartTimeout);
        }

        Assert.Equal(0, (await mesh.RunAsync("pause", CliTimeout, "agents", "pause", "web-2", "--server", server.UrlText)).ExitCode);

        var job = await mesh.RunAsync("job-dry-run", CliTimeout, "jobs", "submit", "echo", "--capability", "web", "--dry-run", "--server", server.UrlText);
        Assert.Equal(0, job.ExitCode);
        Assert.Contains("'echo' would go to web-1", job.Stdout, StringComparison.Ordinal);
        Assert.Contains("is paused and takes no new work", job.Stdout, StringComparison.Ordinal);
        Assert.Contains("lacks the capability 'web'", job.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was submitted", job.Stdout, StringComparison.Ordinal);

        var nobody = await mesh.RunAsync("job-nobody", CliTimeout, "jobs", "submit", "echo", "--group", "us", "--dry-run", "--json", "--server", server.UrlText);
        Assert.Equal(1, nobody.ExitCode);
        using (var plan = JsonDocument.Parse(nobody.Stdout))
        {
            Assert.False(plan.RootElement.GetProperty("wouldRun").GetBoolean());
            Assert.Equal(0, plan.RootElement.GetProperty("eligible").GetArrayLength());
            Assert.All(plan.RootElement.GetProperty("excluded").EnumerateArray(), e => Assert.Equal("group", e.GetProperty("reason").GetString()));
        }

        var file = Path.Combine(mesh.DataDirectory, "ship.yaml");
        await File.WriteAllTextAsync(file, """
            name: ship
            steps:
              - id: build
                command: echo
                target: { agentId: db-1 }
              - id: roll
                kind: fanOut
                command: echo
                target: { group: eu }
                dependsOn: [build]
            """);
        Assert.Equal(0, (await mesh.RunAsync("apply", CliTimeout, "workflows", "apply", file, "--server", server.UrlText)).ExitCode);
        var workflow = await mesh.RunAsync("workflow-dry-run", CliTimeout, "workflows", "run", "ship", "--dry-run", "--json", "--server", server.UrlText);
        Assert.Equal(0, workflow.ExitCode);
        using (var answer = JsonDocument.Parse(workflow.Stdout))
        {
            var steps = answer.RootElement.GetProperty("steps");
            Assert.Equal("db-1", steps[0].GetProperty("plan").GetProperty("eligible")[0].GetProperty("agentId").GetString());
            var roll = steps[1].GetProperty("plan");
            Assert.Equal(["db-1", "web-1"], roll.GetProperty("eligible").EnumerateArray().Select(e => e.GetProperty("agentId").GetString()).Order(StringComparer.Ordinal));
            Assert.Equal("paused", Assert.Single(roll.GetProperty("excluded").EnumerateArray()).GetProperty("reason").GetString());
        }

        var jobs = await mesh.RunAsync("jobs", CliTimeout, "jobs", "list", "--json", "--server", server.UrlText);
        Assert.Equal("[]", jobs.Stdout.Trim());
        var runs = await mesh.RunAsync("runs", CliTimeout, "workflows", "runs", "--json", "--server", server.UrlText);
        Assert.Equal("[]", runs.Stdout.Trim());
    }
}
