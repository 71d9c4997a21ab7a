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
}
