using System.Diagnostics;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Resilience;

/// <summary>An agent process dies or freezes; the server notices within the heartbeat window and the others carry on.</summary>
public sealed class AgentFailureTests(ITestOutputHelper output)
{
    private const double HeartbeatSeconds = 0.5;
    private const int MissedHeartbeats = 2;

    /// <summary>(missed + 1) heartbeat intervals: the longest a dead agent may stay listed as alive.</summary>
    private static readonly TimeSpan HeartbeatWindow = TimeSpan.FromSeconds(HeartbeatSeconds * (MissedHeartbeats + 1));

    /// <summary>Slack for process scheduling and polling on a slow, shared machine.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    private static readonly string[] ServerArguments =
        ["--heartbeat-interval", HeartbeatSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--missed-heartbeats", MissedHeartbeats.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [Fact]
    public async Task AgentKilled_ServerMarksItDisconnectedWithinTheHeartbeatWindow()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ServerArguments);
        using var api = new MeshApi(server.Url);
        var agents = await Task.WhenAll(
            mesh.StartAgentAsync(server.Url, "victim", ["linux"]),
            mesh.StartAgentAsync(server.Url, "survivor", ["linux"]));
        var (victim, survivor) = (agents[0], agents[1]);
        await api.WaitForReadyAsync(["victim", "survivor"], "both agents are Ready", MeshProcesses.StartTimeout);

        var watch = Stopwatch.StartNew();
        await victim.KillAsync();
        var gone = await api.WaitForAgentAsync("victim", a => a.Status == AgentStatus.Disconnected, "the killed agent is Disconnected", HeartbeatWindow + Margin);
        var noticedAfter = watch.Elapsed;
        output.WriteLine($"[test] the server listed the killed agent Disconnected {noticedAfter.TotalMilliseconds:0} ms after SIGKILL (window {HeartbeatWindow.TotalMilliseconds:0} ms + {Margin.TotalMilliseconds:0} ms margin)");

        Assert.True(noticedAfter <= HeartbeatWindow + Margin, $"Noticed after {noticedAfter}.");
        Assert.NotNull(gone.DisconnectedAt);
        await server.Process.WaitForStderrAsync(l => l.Contains("Agent victim disconnected", StringComparison.Ordinal), "the server logs the disconnection");

        // The survivor keeps heartbeating and is Ready at every look, for two more heartbeats at least.
        var disconnectedAt = gone.DisconnectedAt!.Value;
        await api.WaitForAgentAsync(
            "survivor",
            a =>
            {
                Assert.Equal(AgentStatus.Ready, a.Status);
                return a.LastHeartbeatAt > disconnectedAt + (2 * TimeSpan.FromSeconds(HeartbeatSeconds));
            },
            "the survivor heartbeats twice more after the victim was gone",
            TimeSpan.FromSeconds(10));
        Assert.False(survivor.HasExited, survivor.Describe());
        Assert.Equal(AgentStatus.Disconnected, (await api.TryGetAgentAsync("victim"))?.Status);
    }

    [Fact]
    public async Task AgentFrozenWithSigstop_ServerMarksItUnreachable_AndReadyAgainWhenItResumes()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(extraArguments: ServerArguments);
        using var api = new MeshApi(server.Url);
        var frozen = await mesh.StartAgentAsync(server.Url, "frozen");
        await api.WaitForReadyAsync(["frozen"], "the agent is Ready", MeshProcesses.StartTimeout);

        // A frozen process keeps its TCP connection open: only the missing heartbeats can give it away.
        var watch = Stopwatch.StartNew();
        await frozen.SignalAsync("STOP");
        try
        {
            await api.WaitForAgentAsync("frozen", a => a.Status == AgentStatus.Unreachable, "the frozen agent is Unreachable", HeartbeatWindow + Margin);
            output.WriteLine($"[test] Unreachable {watch.ElapsedMilliseconds} ms after SIGSTOP");
        }
        finally
        {
            await frozen.SignalAsync("CONT");
        }

        await api.WaitForAgentAsync("frozen", a => a.Status == AgentStatus.Ready, "the resumed agent is Ready again", TimeSpan.FromSeconds(15));
        await server.Process.WaitForStderrAsync(l => l.Contains("Agent frozen is heartbeating again", StringComparison.Ordinal), "the server logs the recovery");
        Assert.False(frozen.HasExited, frozen.Describe());
    }
}
