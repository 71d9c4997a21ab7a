using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using OrbitMesh.Workflows;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Workflows;

/// <summary>Triggers end to end: the CLI creates them from files, a real server on SQLite fires them, and they survive a killed server.</summary>
public sealed class TriggerProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task CronWebhookAndEventTriggers_FireFromTheCli_AndKeepTheirStateThroughAKilledServer()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "trg-a");
        using (var api = new MeshApi(server.Url))
        {
            await api.WaitForReadyAsync(["trg-a"], "the agent is Ready", MeshProcesses.StartTimeout);
        }

        await WriteAsync(mesh, "tick.yaml", "name: tick\nsteps:\n  - id: echo\n    command: echo\n    parameters:\n      at: ${{ params.trigger.scheduledAt }}\n      ref: ${{ params.ref }}\n");
        Assert.Equal(0, (await Cli(mesh, server, "workflows", "apply", Path.Combine(mesh.DataDirectory, "tick.yaml"))).ExitCode);
        await WriteAsync(mesh, "every-second.yaml", "name: every-second\nworkflow: tick\nkind: cron\nschedule: \"* * * * * *\"\nparameters:\n  ref: cron\n");
        await WriteAsync(mesh, "hook.yaml", "name: release-hook\nworkflow: tick\nkind: webhook\n");
        await WriteAsync(mesh, "on-deploy.yaml", "name: on-deploy\nworkflow: tick\nkind: event\nevent: deploy.*\nfilter: event.data.env == 'prod'\n");
        await WriteAsync(mesh, "broken.yaml", "name: broken\nworkflow: tick\nkind: cron\nschedule: \"0 0 30 2 *\"\ntimeZone: Nowhere/City\n");

        var cron = await Cli(mesh, server, "triggers", "create", Path.Combine(mesh.DataDirectory, "every-second.yaml"));
        Assert.True(cron.ExitCode == 0, cron.Describe());
        Assert.Contains("Created the cron trigger every-second.", cron.Stdout, StringComparison.Ordinal);
        var hook = await Cli(mesh, server, "triggers", "create", Path.Combine(mesh.DataDirectory, "hook.yaml"));
        var secret = hook.Stdout.Split("(shown once; keep it where the sender can use it): ")[1].Split('\n')[0].Trim();
        Assert.Equal(0, (await Cli(mesh, server, "triggers", "create", Path.Combine(mesh.DataDirectory, "on-deploy.yaml"))).ExitCode);
        var broken = await Cli(mesh, server, "triggers", "create", Path.Combine(mesh.DataDirectory, "broken.yaml"));
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains("broken.yaml:4:", broken.Stderr, StringComparison.Ordinal);
        Assert.Contains("broken.yaml:5:", broken.Stderr, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = server.Url };
        http.DefaultRequestHeaders.Add("X-Api-Key", MeshProcesses.ApiKey);
        await Wait.UntilAsync(async () => (await CronRunsAsync(http)).Count >= 2, "two cron runs", TimeSpan.FromSeconds(30));

        using (var delivered = await DeliverAsync(http, secret, """{"ref":"hook-1"}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, delivered.StatusCode);
        }

        var posted = await Cli(mesh, server, "events", "post", "deploy.requested", "--data", """{"env":"prod","ref":"event-1"}""");
        Assert.True(posted.ExitCode == 0, posted.Describe());
        Assert.Contains("on-deploy: run wfr_", posted.Stdout, StringComparison.Ordinal);
        var listed = await Cli(mesh, server, "triggers", "list");
        Assert.Contains("every-second", listed.Stdout, StringComparison.Ordinal);
        Assert.Contains("POST /api/hooks/release-hook", listed.Stdout, StringComparison.Ordinal);

        // Kill the server mid-schedule and start it again on the same data.
        await server.Process.KillAsync();
        server = await mesh.StartServerAsync(server.Port);
        using (var api = new MeshApi(server.Url))
        {
            await api.WaitForReadyAsync(["trg-a"], "the agent is back", MeshProcesses.StartTimeout);
        }

        var before = (await CronRunsAsync(http)).Count;
        await Wait.UntilAsync(async () => (await CronRunsAsync(http)).Count >= before + 2, "the cron trigger to fire again after the restart", TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await Cli(mesh, server, "triggers", "disable", "every-second")).ExitCode);

        // Each scheduled second ran at most once, across the kill.
        var runs = await CronRunsAsync(http);
        var seconds = runs.Select(r => r.GetProperty("parameters").GetProperty("trigger").GetProperty("scheduledAt").GetString()).ToList();
        Assert.Equal(seconds.Count, seconds.Distinct().Count());
        Assert.All(runs, r => Assert.Equal("succeeded", r.GetProperty("status").GetString()));

        // The webhook's sealed secret still opens after the restart (the key ring is kept in the data directory).
        using (var again = await DeliverAsync(http, secret, """{"ref":"hook-2"}"""))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        var exported = await Cli(mesh, server, "triggers", "get", "on-deploy");
        Assert.Contains("filter: event.data.env == 'prod'", exported.Stdout, StringComparison.Ordinal);
        var deleted = await Cli(mesh, server, "triggers", "delete", "on-deploy");
        Assert.Equal(0, deleted.ExitCode);
        var none = await Cli(mesh, server, "events", "post", "deploy.requested", "--data", """{"env":"prod"}""");
        Assert.Contains("no trigger matched", none.Stdout, StringComparison.Ordinal);
    }

    private static Task<CliProcess> Cli(MeshProcesses mesh, ServerProcess server, params string[] arguments) =>
        mesh.RunAsync(string.Join('-', arguments.Take(2)), CliTimeout, [.. arguments, "--server", server.UrlText]);

    private static Task WriteAsync(MeshProcesses mesh, string name, string text) => File.WriteAllTextAsync(Path.Combine(mesh.DataDirectory, name), text);

    private static async Task<HttpResponseMessage> DeliverAsync(HttpClient http, string secret, string body)
    {
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/hooks/release-hook") { Content = new ByteArrayContent(bytes) };
        request.Headers.Add("X-OrbitMesh-Timestamp", stamp);
        request.Headers.Add("X-OrbitMesh-Signature", WorkflowTriggers.Signature(secret, stamp, bytes));
        return await http.SendAsync(request);
    }

    private static async Task<IReadOnlyList<JsonElement>> CronRunsAsync(HttpClient http)
    {
        var list = JsonDocument.Parse(await http.GetStringAsync("api/workflow-runs?workflow=tick&limit=1000")).RootElement;
        var runs = new List<JsonElement>();
        foreach (var summary in list.EnumerateArray())
        {
            var run = JsonDocument.Parse(await http.GetStringAsync($"api/workflow-runs/{summary.GetProperty("runId").GetString()}")).RootElement;
            if (run.GetProperty("parameters").GetProperty("trigger").GetProperty("kind").GetString() == "cron" && run.GetProperty("status").GetString() is "succeeded" or "failed")
            {
                runs.Add(run);
            }
        }

        return runs;
    }
}
