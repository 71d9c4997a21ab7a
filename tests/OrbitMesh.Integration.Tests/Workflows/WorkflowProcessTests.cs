using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using OrbitMesh.Workflows;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Workflows;

/// <summary>Workflows end to end: a real server, three agent processes, and the CLI.</summary>
public sealed class WorkflowProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ADagAcrossThreeAgents_RunsItsBranchesOnEach_AndAFailureCompensatesInReverseOrder()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        string[] ids = ["wf-a", "wf-b", "wf-c"];
        foreach (var id in ids)
        {
            await mesh.StartAgentAsync(server.Url, id);
        }

        using (var api = new MeshApi(server.Url))
        {
            await api.WaitForReadyAsync(ids, "the three agents are Ready", MeshProcesses.StartTimeout);
        }

        var good = Path.Combine(mesh.DataDirectory, "deploy.json");
        await File.WriteAllTextAsync(good, Definition("deploy", failOnC: false));
        var bad = Path.Combine(mesh.DataDirectory, "deploy-bad.json");
        await File.WriteAllTextAsync(bad, Definition("deploy-bad", failOnC: true));

        var applied = await mesh.RunAsync("apply", CliTimeout, "workflows", "apply", good, "--server", server.UrlText);
        Assert.True(applied.ExitCode == 0, applied.Describe());
        Assert.Contains("Registered deploy v1 (5 steps).", applied.Stdout, StringComparison.Ordinal);
        var again = await mesh.RunAsync("apply-again", CliTimeout, "workflows", "apply", good, "--server", server.UrlText);
        Assert.Contains("already registered with this content", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await mesh.RunAsync("apply-bad", CliTimeout, "workflows", "apply", bad, "--server", server.UrlText)).ExitCode);

        var ran = await mesh.RunAsync("run", CliTimeout, "workflows", "run", "deploy", "--param", "release=7", "--wait", "--json", "--server", server.UrlText);
        Assert.True(ran.ExitCode == 0, ran.Describe());
        var run = JsonSerializer.Deserialize<WorkflowRun>(ran.Stdout, OrbitMeshJson.Options)!;
        Assert.Equal(WorkflowRunStatus.Succeeded, run.Status);
        Assert.All(run.Steps, s => Assert.Equal(WorkflowStepStatus.Succeeded, s.Status));
        foreach (var (step, agent) in new[] { ("deploy-a", "wf-a"), ("deploy-b", "wf-b"), ("deploy-c", "wf-c") })
        {
            var output = run.Steps.Single(s => s.StepId == step).Output!.Value;
            Assert.Equal(agent, output.GetProperty("node").GetString());
            Assert.Equal(7, output.GetProperty("release").GetInt32());
        }

        var failed = await mesh.RunAsync("run-bad", CliTimeout, "workflows", "run", "deploy-bad", "--wait", "--server", server.UrlText);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("error: Run ", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("ended failed: step 'deploy-c' failed", failed.Stderr, StringComparison.Ordinal);
        var runId = failed.Stderr.Split("error: Run ")[1].Split(' ')[0];

        var shown = await mesh.RunAsync("show", CliTimeout, "workflows", "show", runId, "--json", "--server", server.UrlText);
        var badRun = JsonSerializer.Deserialize<WorkflowRun>(shown.Stdout, OrbitMeshJson.Options)!;
        Assert.Equal(
            [("validate", WorkflowStepStatus.Compensated), ("deploy-a", WorkflowStepStatus.Compensated), ("deploy-b", WorkflowStepStatus.Compensated), ("deploy-c", WorkflowStepStatus.Failed), ("health", WorkflowStepStatus.Cancelled)],
            badRun.Steps.Select(s => (s.StepId, s.Status)));

        // The compensations ran in reverse order of completion, each on the agent that did the step.
        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
        var completed = new List<string>();
        var compensated = new List<string>();
        var sse = await http.GetStringAsync($"api/workflow-runs/{runId}/events");
        foreach (var line in sse.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)))
        {
            var e = JsonSerializer.Deserialize<WorkflowRunEvent>(line[6..], OrbitMeshJson.Options)!;
            if (e.Type == WorkflowRunEventTypes.StepSucceeded)
            {
                completed.Add(e.StepId!);
            }
            else if (e.Type == WorkflowRunEventTypes.CompensationSucceeded)
            {
                compensated.Add(e.StepId!);
            }
        }

        Assert.Equal(Enumerable.Reverse(completed), compensated);
        var listed = await mesh.RunAsync("runs", CliTimeout, "workflows", "runs", "--status", "failed", "--server", server.UrlText);
        Assert.Contains(runId, listed.Stdout, StringComparison.Ordinal);

        // A rollout over the three agents at 50 %: two batches, every instance on its own agent.
        var roll = Path.Combine(mesh.DataDirectory, "roll.json");
        await File.WriteAllTextAsync(roll, """{"name":"roll","steps":[{"id":"install","command":"echo","parameters":{"step":"install"}}]}""");
        Assert.Equal(0, (await mesh.RunAsync("apply-roll", CliTimeout, "workflows", "apply", roll, "--server", server.UrlText)).ExitCode);
        var rolled = await mesh.RunAsync("rolling", CliTimeout, "workflows", "run", "roll", "--rolling", "50", "--json", "--server", server.UrlText);
        Assert.True(rolled.ExitCode == 0, rolled.Describe());
        var rollout = JsonSerializer.Deserialize<WorkflowRolloutResult>(rolled.Stdout, OrbitMeshJson.Options)!;
        Assert.True(rollout.Completed);
        Assert.Equal([["wf-a", "wf-b"], ["wf-c"]], rollout.Batches.Select(b => b.Select(r => r.BoundAgent!).Order(StringComparer.Ordinal).ToArray()));
        Assert.All(rollout.Batches.SelectMany(b => b), r => Assert.Equal(r.BoundAgent, r.Steps[0].Output!.Value.GetProperty("agentId").GetString()));

        var unknown = await mesh.RunAsync("run-unknown", CliTimeout, "workflows", "run", "nope", "--server", server.UrlText);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("404", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvalidDefinition_IsRefusedWithEveryProblemListed()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        var file = Path.Combine(mesh.DataDirectory, "cyclic.json");
        await File.WriteAllTextAsync(file, """
            {"name":"cyclic","steps":[
              {"id":"a","command":"echo","dependsOn":["b"]},
              {"id":"b","command":"echo","dependsOn":["a"]},
              {"id":"a","command":"echo"},
              {"id":"c","command":"echo","dependsOn":["ghost"]}]}
            """);

        var validated = await mesh.RunAsync("validate", CliTimeout, "workflows", "validate", file, "--server", server.UrlText);

        Assert.NotEqual(0, validated.ExitCode);
        Assert.Contains("3 errors.", validated.Stderr, StringComparison.Ordinal);
        Assert.Contains("Step id 'a' is used by 2 steps", validated.Stderr, StringComparison.Ordinal);
        Assert.Contains("cyclic.json:5:3: ", validated.Stderr, StringComparison.Ordinal);
        Assert.Contains("ghost", validated.Stderr, StringComparison.Ordinal);
        Assert.Contains("cycle", validated.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task YamlDefinitions_Apply_DryRun_Export_AndServerErrorsLocatedInTheFile()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        var v1 = Path.Combine(mesh.DataDirectory, "ship.yaml");
        await File.WriteAllTextAsync(v1, """
            name: ship
            steps:
              - id: build
                command: echo
              - id: test
                command: echo
                dependsOn: [build]
            """);
        Assert.Equal(0, (await mesh.RunAsync("apply-v1", CliTimeout, "workflows", "apply", v1, "--server", server.UrlText)).ExitCode);

        var v2 = Path.Combine(mesh.DataDirectory, "ship-v2.yml");
        await File.WriteAllTextAsync(v2, """
            name: ship
            version: 2
            steps:
              - id: build
                command: echo
                timeout: "00:01:00"
              - id: publish
                command: echo
                dependsOn: [build]
            """);
        var plan = await mesh.RunAsync("dry-run", CliTimeout, "workflows", "apply", v2, "--dry-run", "--server", server.UrlText);
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains("would register ship v2 (latest is v1)", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains("steps added:   publish", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains("steps removed: test", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains("steps changed: build", plan.Stdout, StringComparison.Ordinal);
        var listed = await mesh.RunAsync("list", CliTimeout, "workflows", "list", "--json", "--server", server.UrlText);
        Assert.Contains("\"versions\":[1]", listed.Stdout, StringComparison.Ordinal);

        var exported = await mesh.RunAsync("export", CliTimeout, "workflows", "get", "ship", "--format", "yaml", "--server", server.UrlText);
        Assert.Equal(0, exported.ExitCode);
        var copy = Path.Combine(mesh.DataDirectory, "ship-export.yaml");
        await File.WriteAllTextAsync(copy, exported.Stdout);
        var again = await mesh.RunAsync("apply-export", CliTimeout, "workflows", "apply", copy, "--server", server.UrlText);
        Assert.Contains("already registered with this content", again.Stdout, StringComparison.Ordinal);

        var unknownType = Path.Combine(mesh.DataDirectory, "typed.yaml");
        await File.WriteAllTextAsync(unknownType, """
            name: typed
            steps:
              - id: first
                command: echo
              - id: custom
                kind: class
                stepType: Nowhere.Missing
            """);
        var refused = await mesh.RunAsync("validate-type", CliTimeout, "workflows", "validate", unknownType, "--server", server.UrlText);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("typed.yaml:5:5: ", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("[unknown_step_type]", refused.Stderr, StringComparison.Ordinal);
    }

    /// <summary>validate, then deploy-a/b/c in parallel on one agent each, then health; each with an echo compensation.</summary>
    private static string Definition(string name, bool failOnC)
    {
        static object Step(string id, string node, string[] dependsOn, bool fail = false) => new
        {
            id,
            command = fail ? "sleep" : "echo",
            parameters = fail ? (object)new { ms = -1 } : new { node },
            target = new { agentId = node },
            dependsOn,
            compensation = new { command = "echo", parameters = new { undo = id }, target = new { agentId = node } },
        };

        var steps = new[]
        {
            Step("validate", "wf-a", []),
            Step("deploy-a", "wf-a", ["validate"]),
            Step("deploy-b", "wf-b", ["validate"]),
            Step("deploy-c", "wf-c", ["validate"], fail: failOnC),
            Step("health", "wf-b", ["deploy-a", "deploy-b", "deploy-c"]),
        };
        return JsonSerializer.Serialize(new { name, version = 1, steps }, OrbitMeshJson.Options);
    }
}
