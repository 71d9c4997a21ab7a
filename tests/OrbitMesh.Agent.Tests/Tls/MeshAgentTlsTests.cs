using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OrbitMesh.Transport;

namespace OrbitMesh.Agent.Tests.Tls;

/// <summary>Agents over https: a pinned fingerprint, a trusted CA, a client certificate, and clear refusals.</summary>
public sealed class MeshAgentTlsTests
{
    [Fact]
    public async Task ConnectAsync_PinnedFingerprint_RegistersOverHttpsAndPresentsTheClientCertificate()
    {
        using var certificate = TestCertificates.CreateServer();
        using var client = TestCertificates.CreateClient("tls-agent");
        var seen = new ConcurrentQueue<string>();
        await using var server = await TestMeshServer.StartAsync(
            mapExtra: app => app.Use((context, next) =>
            {
                seen.Enqueue(context.Connection.ClientCertificate?.Subject ?? "none");
                return next(context);
            }),
            certificate: certificate,
            clientCertificates: ClientCertificateMode.RequireCertificate);
        await using var agent = server.NewAgent("tls-pinned")
            .WithServerCertificateFingerprint(TlsValidation.Fingerprint(certificate))
            .WithClientCertificate(client)
            .Build();

        await agent.ConnectAsync();

        await server.WaitForAgentAsync("tls-pinned", AgentStatus.Ready);
        Assert.Contains("CN=tls-agent", seen);
    }

    [Fact]
    public async Task ConnectAsync_WrongPin_FailsAtOnceNamingTheFingerprints_EvenWhenRetrying()
    {
        using var certificate = TestCertificates.CreateServer();
        await using var server = await TestMeshServer.StartAsync(certificate: certificate);
        var pinned = new string('a', 64);
        await using var agent = server.NewAgent("tls-wrong")
            .WithServerCertificateFingerprint(pinned)
            .Configure(o => o.RetryInitialConnection = true)
            .Build();

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => agent.ConnectAsync());

        Assert.Equal("tls_rejected", error.Code);
        Assert.Contains($"The server's certificate fingerprint {TlsValidation.Fingerprint(certificate)} does not match the pinned {pinned}.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_TrustedAuthority_RegistersWithACertificateItIssued()
    {
        using var ca = TestCertificates.CreateAuthority();
        using var certificate = TestCertificates.CreateServer(ca);
        await using var server = await TestMeshServer.StartAsync(certificate: certificate);
        await using var agent = server.NewAgent("tls-ca").WithTrustedCertificateAuthority(ca).Build();

        await agent.ConnectAsync();

        await server.WaitForAgentAsync("tls-ca", AgentStatus.Ready);
    }

    [Fact]
    public void Build_PinAndAuthorityTogether_ABadPin_OrAPinOverHttp_IsInvalid()
    {
        using var ca = TestCertificates.CreateAuthority();

        var both = Assert.Throws<OrbitMeshException>(() => new MeshAgentBuilder().WithServer("https://127.0.0.1:5443")
            .WithServerCertificateFingerprint(new string('a', 64)).WithTrustedCertificateAuthority(ca).Build());
        var bad = Assert.Throws<OrbitMeshException>(() => new MeshAgentBuilder().WithServer("https://127.0.0.1:5443")
            .WithServerCertificateFingerprint("not-a-fingerprint").Build());

        var plain = Assert.Throws<OrbitMeshException>(() => new MeshAgentBuilder().WithServer("http://127.0.0.1:5080")
            .WithServerCertificateFingerprint(new string('a', 64)).Build());

        Assert.Contains("need an https server URL", plain.Message, StringComparison.Ordinal);
        Assert.Contains("not both", both.Message, StringComparison.Ordinal);
        Assert.Contains("ServerCertificateFingerprint", bad.Message, StringComparison.Ordinal);
    }
}
