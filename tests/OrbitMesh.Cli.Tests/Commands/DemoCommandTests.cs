using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using OrbitMesh.Cli.Commands;

namespace OrbitMesh.Cli.Tests.Commands;

public sealed partial class DemoCommandTests
{
    [GeneratedRegex("(?m)^  data directory: (.+)$")]
    private static partial Regex DataDirectory();

    [Fact]
    public async Task RunAsync_PassesEveryStepAndDeletesItsData()
    {
        using var output = new StringWriter();

        var exitCode = await Wait.ForAsync(DemoCommand.RunAsync(LogLevel.Error, keepData: false, output, CancellationToken.None), "the demo to finish");

        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Matches("All [0-9]+ steps passed\\.", text);
        Assert.DoesNotContain("[FAIL]", text, StringComparison.Ordinal);
        var passed = text.Split('\n').Where(l => l.StartsWith("  [ok]   ", StringComparison.Ordinal)).ToList();
        string[] steps =
        [
            "connect 3 agents", "list agents", "echo on agent-1", "system.info on every agent", "stream.count on agent-2", "timeout",
            "job, request-response", "job, fire-and-forget", "job, long-running", "job, streaming", "job, input stream", "job, workflow step",
            "job, cancellation", "job, timeout", "job, idempotency", "fan-out", "rolling", "security: enroll a node",
            "workflow: deploy DAG across 3 agents", "workflow: a failed branch compensates in reverse order", "workflow: rolling run over 3 agents at 50% per batch",
            "bad input",
        ];
        Assert.Equal(steps.Length, passed.Count);
        foreach (var step in steps)
        {
            Assert.Contains(passed, l => l.Contains(step, StringComparison.Ordinal));
        }

        Assert.Contains($"All {steps.Length} steps passed.", text, StringComparison.Ordinal);
        Assert.Contains("[1, 2, 3, 4, 5]", text, StringComparison.Ordinal);
        Assert.Contains("compensated install-", text, StringComparison.Ordinal);
        Assert.Contains("3 instances in 2 batches of up to 2", text, StringComparison.Ordinal);
        var directory = DataDirectory().Match(text).Groups[1].Value.TrimEnd('\r');
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), "orbitmesh-demo-"), directory, StringComparison.Ordinal);
        Assert.False(Directory.Exists(directory), $"{directory} was left behind");
    }

    [Fact]
    public async Task RunAsync_KeepData_LeavesTheDirectory()
    {
        using var output = new StringWriter();

        var exitCode = await Wait.ForAsync(DemoCommand.RunAsync(LogLevel.None, keepData: true, output, CancellationToken.None), "the demo to finish");

        var directory = DataDirectory().Match(output.ToString()).Groups[1].Value.TrimEnd('\r');
        try
        {
            Assert.Equal(0, exitCode);
            Assert.True(Directory.Exists(directory), $"{directory} was deleted");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
