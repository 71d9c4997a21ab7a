using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Cli;

/// <summary><c>orbitmesh jobs submit --idempotency-key</c> reports an earlier job honestly and refuses a changed request.</summary>
public sealed class JobsSubmitIdempotencyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SameKey_SaysExisting_ChangedParameters_FailsNamingThem()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "idem-agent");

        var first = await mesh.RunAsync("submit-1", CommandTimeout, "jobs", "submit", "echo", "--param", "v=1", "--idempotency-key", "cli-key", "--server", server.UrlText, "--json");
        var again = await mesh.RunAsync("submit-2", CommandTimeout, "jobs", "submit", "echo", "--param", "v=1", "--idempotency-key", "cli-key", "--server", server.UrlText, "--json");
        var changed = await mesh.RunAsync("submit-3", CommandTimeout, "jobs", "submit", "echo", "--param", "v=2", "--idempotency-key", "cli-key", "--server", server.UrlText, "--json");

        Assert.True(first.ExitCode == 0, first.Describe());
        Assert.True(again.ExitCode == 0, again.Describe());
        using var firstAnswer = JsonDocument.Parse(first.Stdout);
        using var againAnswer = JsonDocument.Parse(again.Stdout);
        Assert.False(firstAnswer.RootElement.GetProperty("existing").GetBoolean());
        Assert.True(againAnswer.RootElement.GetProperty("existing").GetBoolean());
        Assert.Equal(firstAnswer.RootElement.GetProperty("id").GetString(), againAnswer.RootElement.GetProperty("id").GetString());
        Assert.True(changed.ExitCode is not 0 and not null, changed.Describe());
        var error = Assert.Single(changed.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("idempotency key 'cli-key'", error, StringComparison.Ordinal);
        Assert.Contains("parameters differ: v", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitWait_ForACommandNoAgentHandles_FailsAtOnceSayingWhy_AndAnAgentWithoutTheHandlerIsRefusedByTheServer()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "plain-agent");

        var waited = await mesh.RunAsync("wait-no-handler", CommandTimeout, "jobs", "submit", "no.such", "--wait", "--server", server.UrlText);
        var aimed = await mesh.RunAsync("aimed", CommandTimeout, "jobs", "submit", "no.such", "--agent", "plain-agent", "--server", server.UrlText);
        var ok = await mesh.RunAsync("wait-ok", CommandTimeout, "jobs", "submit", "echo", "--param", "x=1", "--wait", "--server", server.UrlText);

        Assert.NotEqual(0, waited.ExitCode);
        var error = Assert.Single(waited.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("has a handler for 'no.such' (plain-agent do not)", error, StringComparison.Ordinal);
        Assert.NotEqual(0, aimed.ExitCode);
        Assert.Contains("Agent 'plain-agent' has no handler for 'no.such'", aimed.Stderr, StringComparison.Ordinal);
        Assert.True(ok.ExitCode == 0, ok.Describe());
        Assert.Contains(ok.StderrLines, l => l.StartsWith("Submitted job ", StringComparison.Ordinal) && l.Contains("waiting for it to end", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JobsList_FiltersByAgentAndCommand_ShowsTheDate_AndJobsEventsFollowsAJob()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync();
        await mesh.StartAgentAsync(server.Url, "list-agent");
        var submitted = await mesh.RunAsync("submit", CommandTimeout, "jobs", "submit", "echo", "--param", "x=1", "--wait", "--json", "--server", server.UrlText);
        using var job = JsonDocument.Parse(submitted.Stdout);
        var id = job.RootElement.GetProperty("id").GetString()!;

        var byBoth = await mesh.RunAsync("list", CommandTimeout, "jobs", "list", "--agent", "list-agent", "--command", "echo", "--server", server.UrlText);
        var none = await mesh.RunAsync("list-none", CommandTimeout, "jobs", "list", "--command", "sleep", "--server", server.UrlText);
        var events = await mesh.RunAsync("events", CommandTimeout, "jobs", "events", id, "--server", server.UrlText);

        Assert.Contains(id, byBoth.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z", byBoth.Stdout);
        Assert.Contains("No jobs.", none.Stdout, StringComparison.Ordinal);
        Assert.True(events.ExitCode == 0, events.Describe());
        Assert.Contains("Completed on list-agent", events.Stdout, StringComparison.Ordinal);

        var streamed = await mesh.RunAsync("stream", CommandTimeout, "jobs", "submit", "stream.count", "--param", "n=3", "--stream", "--server", server.UrlText);
        Assert.True(streamed.ExitCode == 0, streamed.Describe());
        Assert.Contains(streamed.StderrLines, l => l.StartsWith("Streaming job job_", StringComparison.Ordinal));
        Assert.Equal(3, streamed.StdoutLines.Count(l => l.Length > 0));
    }
}
