using System.Text.Json;
using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Security;

/// <summary>
/// Enrollment end to end with real processes: an admin creates a token with the CLI, an agent enrolls
/// with it and waits, the admin approves it, it connects as the node; restarted (also after a server
/// restart) it needs only its data directory; revoked, its connection closes and it cannot return.
/// </summary>
public sealed class EnrollmentProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Agent_EnrollsWithAToken_IsApproved_Reconnects_AndIsShutOutWhenRevoked()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(withToken: false);
        Assert.Contains(server.Process.StdoutLines, l => l.StartsWith("Agents enroll:", StringComparison.Ordinal));
        var nodeData = Path.Combine(mesh.DataDirectory, "node-a");

        var created = await mesh.RunAsync("tokens-create", TimeSpan.FromSeconds(30), "tokens", "create", "--server", server.UrlText, "--ttl", "10m", "--capability", "echo", "--capability", "sleep", "--json");
        Assert.Equal(0, created.ExitCode);
        var token = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("token").GetString()!;

        var agent = mesh.Start("agent-a", "agent", "--server", server.UrlText, "--enroll-token", token, "--data", nodeData, "--id", "node-a", "--approval-poll-interval", "0.1");
        await agent.WaitForStdoutAsync(l => l.StartsWith("Node node-a is waiting for approval", StringComparison.Ordinal), "the agent to ask to enroll", MeshProcesses.StartTimeout);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(nodeData, "node.key")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(mesh.DataDirectory, "ca", "ca.key")));
        }

        var pending = await mesh.RunAsync("nodes-pending", TimeSpan.FromSeconds(30), "nodes", "pending", "--server", server.UrlText, "--json");
        Assert.Equal("node-a", JsonDocument.Parse(pending.Stdout).RootElement[0].GetProperty("id").GetString());
        Assert.False(agent.StdoutLines.Any(l => l.StartsWith("Agent node-a connected", StringComparison.Ordinal)), "connected before approval");

        var approve = await mesh.RunAsync("nodes-approve", TimeSpan.FromSeconds(30), "nodes", "approve", "node-a", "--server", server.UrlText, "--capability", "echo");
        Assert.Equal(0, approve.ExitCode);
        Assert.Contains("Node node-a is Approved with echo.", approve.Stdout, StringComparison.Ordinal);
        await MeshProcesses.WaitUntilConnectedAsync(agent, "node-a");
        Assert.True(File.Exists(Path.Combine(nodeData, "node.crt")));

        // A granted command runs; an ungranted one (the agent has a 'sleep' handler) is never sent to it.
        var echo = await mesh.RunAsync("echo", TimeSpan.FromSeconds(60), "jobs", "submit", "echo", "--agent", "node-a", "--param", "x=1", "--wait", "--json", "--server", server.UrlText);
        Assert.Equal("Completed", JsonDocument.Parse(echo.Stdout).RootElement.GetProperty("status").GetString());

        // Restarted with only its data directory (and the server restarted too), it is the same node.
        await agent.SignalAsync("TERM");
        await agent.WaitForExitAsync("the agent to stop");
        await server.Process.SignalAsync("TERM");
        await server.Process.WaitForExitAsync("the server to stop");
        server = await mesh.StartServerAsync(port: server.Port, withToken: false);
        agent = mesh.Start("agent-a2", "agent", "--server", server.UrlText, "--data", nodeData);
        await MeshProcesses.WaitUntilConnectedAsync(agent, "node-a");

        var revoke = await mesh.RunAsync("nodes-revoke", TimeSpan.FromSeconds(30), "nodes", "revoke", "node-a", "--reason", "decommissioned", "--server", server.UrlText);
        Assert.Equal(0, revoke.ExitCode);
        var audit = await mesh.RunAsync("audit", TimeSpan.FromSeconds(30), "audit", "--server", server.UrlText, "--json");
        await Wait.UntilAsync(async () =>
        {
            var trail = await mesh.RunAsync("audit", TimeSpan.FromSeconds(30), "audit", "--type", "auth.failed", "--subject", "node-a", "--server", server.UrlText, "--json");
            return JsonDocument.Parse(trail.Stdout).RootElement.EnumerateArray().Any(e => e.GetProperty("reason").GetString() == "the node was revoked");
        }, "the revoked node's reconnect to be refused", MeshProcesses.StartTimeout);
        var types = JsonDocument.Parse(audit.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Contains("token.created", types);
        Assert.Contains("token.used", types);
        Assert.Contains("enrollment.requested", types);
        Assert.Contains("enrollment.approved", types);
        Assert.Contains("node.revoked", types);
    }

    [Fact]
    public async Task Agent_EnrollingOverHttps_PinsTheServerCertificate_AndRefusesAnotherOneLater()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(https: true, withToken: false);
        const string Prefix = "Server certificate SHA-256 fingerprint: ";
        var fingerprint = server.Process.StdoutLines.Single(l => l.StartsWith(Prefix, StringComparison.Ordinal))[Prefix.Length..];
        mesh.ClientEnvironment["ORBITMESH_SERVER_FINGERPRINT"] = fingerprint; // how the admin's CLI trusts the self-signed server
        var created = await mesh.RunAsync("tokens-create", TimeSpan.FromSeconds(30), "tokens", "create", "--server", server.UrlText, "--json");
        Assert.Equal(0, created.ExitCode);
        var token = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("token").GetString()!;
        var nodeData = Path.Combine(mesh.DataDirectory, "tofu");

        var agent = mesh.Start("agent-tofu", "agent", "--server", server.UrlText, "--enroll-token", token, "--data", nodeData, "--id", "tofu", "--approval-poll-interval", "0.1");
        await agent.WaitForStdoutAsync(l => l.StartsWith("Node tofu is waiting for approval", StringComparison.Ordinal), "the node to enroll over https", MeshProcesses.StartTimeout);
        Assert.Equal(0, (await mesh.RunAsync("approve", TimeSpan.FromSeconds(30), "nodes", "approve", "tofu", "--server", server.UrlText)).ExitCode);
        await MeshProcesses.WaitUntilConnectedAsync(agent, "tofu");
        Assert.Contains(agent.StdoutLines, l => l == $"Pinned the server's certificate, SHA-256 fingerprint {fingerprint} (trust on first use; compare it with what the server printed).");

        // The server comes back with another certificate: the node refuses it.
        await agent.SignalAsync("TERM");
        await agent.WaitForExitAsync("the agent to stop");
        await server.Process.KillAsync();
        File.Delete(Path.Combine(mesh.DataDirectory, "tls", "server.pfx"));
        server = await mesh.StartServerAsync(port: server.Port, https: true, withToken: false);
        var again = mesh.Start("agent-tofu-2", "agent", "--server", server.UrlText, "--data", nodeData);

        Assert.NotEqual(0, await again.WaitForExitAsync("the node to refuse the new certificate", MeshProcesses.StartTimeout));
        Assert.Contains(again.StderrLines, l => l.StartsWith("error: The server's certificate fingerprint ", StringComparison.Ordinal) && l.Contains($"does not match the pinned {fingerprint} (learned when this node enrolled", StringComparison.Ordinal));
        Assert.DoesNotContain(again.StdoutLines, l => l.StartsWith("Agent tofu connected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agent_WithAReusedToken_ExitsWithTheReason_AndLeavesNoIdentity()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(withToken: false);
        var created = await mesh.RunAsync("tokens-create", TimeSpan.FromSeconds(30), "tokens", "create", "--server", server.UrlText, "--json");
        var token = JsonDocument.Parse(created.Stdout).RootElement.GetProperty("token").GetString()!;
        var first = mesh.Start("agent-1", "agent", "--server", server.UrlText, "--enroll-token", token, "--data", Path.Combine(mesh.DataDirectory, "n1"), "--id", "n1");
        await first.WaitForStdoutAsync(l => l.StartsWith("Node n1 is waiting for approval", StringComparison.Ordinal), "the first agent to enroll", MeshProcesses.StartTimeout);

        var second = await mesh.RunAsync("agent-2", TimeSpan.FromSeconds(60), "agent", "--server", server.UrlText, "--enroll-token", token, "--data", Path.Combine(mesh.DataDirectory, "n2"), "--id", "n2");

        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains(second.StderrLines, l => l.StartsWith("error:", StringComparison.Ordinal) && l.Contains("the bootstrap token was already used", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(mesh.DataDirectory, "n2", "node.key")), "a refused enrollment leaves no key behind");
    }
}
