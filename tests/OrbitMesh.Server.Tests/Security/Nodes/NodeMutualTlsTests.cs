using Microsoft.AspNetCore.Server.Kestrel.Https;
using OrbitMesh.Agent;
using OrbitMesh.Agent.Security;
using OrbitMesh.Transport;

namespace OrbitMesh.Server.Tests.Security.Nodes;

/// <summary>Enrolled nodes over https: the node presents its issued certificate, which must match its key and the server's CA.</summary>
public sealed class NodeMutualTlsTests : IAsyncLifetime
{
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _serverCertificate = TestCertificates.CreateServer();
    private TestMeshServer _server = null!;
    private HttpClient _http = null!;
    private NodeEnrollmentClient _enrollment = null!;
    private readonly List<NodeIdentity> _identities = [];

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(certificate: _serverCertificate, clientCertificates: ClientCertificateMode.AllowCertificate);
        _http = new HttpClient(TlsValidation.CreateHandler(TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(_serverCertificate)))) { BaseAddress = _server.Url };
        _enrollment = new NodeEnrollmentClient(_http, _server.Url);
    }

    public async Task DisposeAsync()
    {
        foreach (var identity in _identities)
        {
            identity.Dispose();
            Directory.Delete(identity.Directory, recursive: true);
        }

        _http.Dispose();
        await _server.DisposeAsync();
        _serverCertificate.Dispose();
    }

    [Fact]
    public async Task Node_OverHttps_PresentsItsIssuedCertificate_AndTheServerChecksIt()
    {
        var identity = await EnrollApprovedAsync("tls-node");
        await using var agent = NewAgent(identity).Build();

        await agent.ConnectAsync();

        Assert.True(_server.Logs.Contains(e => e.EventId.Id == 2042 && e.Message.Contains("tls-node", StringComparison.Ordinal) && e.Message.Contains("checked: True; negotiate: False", StringComparison.Ordinal)),
            "the server saw and checked the node's TLS client certificate");
    }

    [Fact]
    public async Task Node_PresentingACertificateFromAnotherAuthority_IsRefused()
    {
        var identity = await EnrollApprovedAsync("tls-impostor");
        using var foreign = TestCertificates.CreateClient("tls-impostor");
        await using var agent = NewAgent(identity).WithClientCertificate(foreign).Build();

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());

        Assert.Contains("not issued by this server's CA", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_PresentingAnotherNodesCertificate_IsRefused()
    {
        var victim = await EnrollApprovedAsync("tls-victim");
        var thief = await EnrollApprovedAsync("tls-thief");
        using var stolen = victim.CertificateWithKey()!;
        await using var agent = NewAgent(thief).WithClientCertificate(stolen).Build();

        var refusal = await Assert.ThrowsAsync<MeshAuthenticationException>(() => agent.ConnectAsync());

        Assert.Contains("belongs to another node or key", refusal.Message, StringComparison.Ordinal);
    }

    private MeshAgentBuilder NewAgent(NodeIdentity identity) => new MeshAgentBuilder()
        .WithServer(_server.Url)
        .WithNodeIdentity(identity, _http)
        .WithServerCertificateFingerprint(TlsValidation.Fingerprint(_serverCertificate))
        .RegisterHandler("echo", c => c.Parameters);

    private async Task<NodeIdentity> EnrollApprovedAsync(string nodeId)
    {
        using var admin = new HttpClient(TlsValidation.CreateHandler(TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(_serverCertificate)))) { BaseAddress = _server.Url };
        using var created = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(admin, "/api/tokens", new OrbitMesh.Security.BootstrapTokenRequest(), OrbitMeshJson.Options);
        var token = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<OrbitMesh.Security.BootstrapTokenView>(created.Content, OrbitMeshJson.Options))!.Token!;
        var identity = NodeIdentity.Create(Path.Combine(Path.GetTempPath(), "orbitmesh-tls-node-" + Guid.NewGuid().ToString("N")), nodeId);
        _identities.Add(identity);
        await _enrollment.RequestAsync(identity, token, null, ["echo"]);
        using var approved = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(admin, $"/api/nodes/{nodeId}/approve", new OrbitMesh.Security.NodeDecision(), OrbitMeshJson.Options);
        approved.EnsureSuccessStatusCode();
        await _enrollment.StatusAsync(identity);
        return identity;
    }
}
