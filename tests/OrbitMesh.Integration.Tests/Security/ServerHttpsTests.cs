using OrbitMesh.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OrbitMesh.Integration.Tests.Security;

/// <summary><c>orbitmesh server --https</c> with its generated certificate, and agents that pin its fingerprint.</summary>
public sealed class ServerHttpsTests(ITestOutputHelper output)
{
    private const string FingerprintPrefix = "Server certificate SHA-256 fingerprint: ";

    [Fact]
    public async Task Https_GeneratedCertificate_PinnedAgentConnects_WrongPinExits_RestartKeepsTheCertificate()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(https: true);
        Assert.Equal("https", server.Url.Scheme);
        var fingerprint = ReadFingerprint(server);
        Assert.Matches("^[0-9a-f]{64}$", fingerprint);

        var pfx = Path.Combine(mesh.DataDirectory, "tls", "server.pfx");
        Assert.True(File.Exists(pfx), "the generated certificate is stored in DATA/tls/server.pfx");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pfx));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(pfx)!));
        }

        // The pin may be written with colons and in uppercase, as other tools print fingerprints.
        var decorated = string.Join(':', Enumerable.Range(0, 32).Select(i => fingerprint.Substring(i * 2, 2).ToUpperInvariant()));
        await mesh.StartAgentAsync(server.Url, "pinned", extraArguments: ["--server-fingerprint", decorated]);

        var wrong = new string('0', 64);
        var refused = await mesh.StartAgentAsync(server.Url, "wrong-pin", waitUntilConnected: false, extraArguments: ["--server-fingerprint", wrong]);
        var exitCode = await refused.WaitForExitAsync("an agent with a wrong pin to give up", MeshProcesses.StartTimeout);
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"The server's certificate fingerprint {fingerprint} does not match the pinned {wrong}.", refused.Stderr, StringComparison.Ordinal);

        await server.Process.KillAsync();
        var restarted = await mesh.StartServerAsync(port: server.Port, https: true);
        Assert.Equal(fingerprint, ReadFingerprint(restarted));
        Assert.DoesNotContain(restarted.Process.StdoutLines, l => l.StartsWith("Generated a self-signed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Https_RequiredClientCertificate_AnAgentPresentingOneConnects()
    {
        await using var mesh = new MeshProcesses(output);
        var server = await mesh.StartServerAsync(https: true, extraArguments: ["--client-certificates", "require"]);
        var fingerprint = ReadFingerprint(server);
        using var client = TestCertificates.CreateClient("cli-agent");
        var pfx = Path.Combine(mesh.DataDirectory, "agent.pfx");
        await File.WriteAllBytesAsync(pfx, client.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "agent-secret"));

        await mesh.StartAgentAsync(server.Url, "mtls", extraArguments:
            ["--server-fingerprint", fingerprint, "--client-certificate", pfx, "--client-certificate-password", "agent-secret"]);
    }

    private static string ReadFingerprint(ServerProcess server)
    {
        var line = server.Process.StdoutLines.FirstOrDefault(l => l.StartsWith(FingerprintPrefix, StringComparison.Ordinal));
        Assert.True(line is not null, "the server prints its certificate's fingerprint\n" + server.Process.Describe());
        return line[FingerprintPrefix.Length..];
    }
}
