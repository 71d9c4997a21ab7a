using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Cli;

/// <summary><c>orbitmesh demo</c> as a process: a server and three agents in one process, every step run once.</summary>
public sealed class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Demo_RunsEndToEndAndExitsZero()
    {
        await using var mesh = new MeshProcesses(output);

        var demo = await mesh.RunAsync("demo", TimeSpan.FromSeconds(60), "demo");

        Assert.True(demo.ExitCode == 0, demo.Describe());
        Assert.Contains(demo.StdoutLines, l => l.Contains("steps passed", StringComparison.Ordinal));
        Assert.DoesNotContain(demo.StdoutLines, l => l.Contains("[FAIL]", StringComparison.Ordinal));
        Assert.Matches(@"server: http://127\.0\.0\.1:\d+/", demo.Stdout);
    }
}
