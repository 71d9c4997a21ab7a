using Microsoft.AspNetCore.SignalR.Client;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace OrbitMesh.Transport.Tests.Tls;

/// <summary>Fingerprints, pinning, a trusted CA and client certificates, against real https servers.</summary>
public sealed class TlsValidationTests
{
    [Fact]
    public void Fingerprint_IsTheLowercaseHexSha256OfTheDer()
    {
        using var certificate = TestCertificates.CreateServer();

        var fingerprint = TlsValidation.Fingerprint(certificate);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", fingerprint);
    }

    [Fact]
    public void NormalizeFingerprint_AcceptsColonsAndUppercase()
    {
        var plain = new string('a', 62) + "0f";
        var decorated = string.Join(':', Enumerable.Range(0, 32).Select(i => plain.Substring(i * 2, 2).ToUpperInvariant()));

        Assert.Equal(plain, TlsValidation.NormalizeFingerprint(decorated));
        Assert.True(TlsValidation.FingerprintsEqual(plain, decorated));
        Assert.False(TlsValidation.FingerprintsEqual(plain, new string('b', 64)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000000")]
    public void NormalizeFingerprint_RefusesWhatIsNotSha256Hex(string value)
    {
        Assert.Throws<FormatException>(() => TlsValidation.NormalizeFingerprint(value));
        Assert.False(TlsValidation.FingerprintsEqual(value, value));
    }

    [Fact]
    public async Task Connect_RightPin_ConnectsToASelfSignedServer()
    {
        using var certificate = TestCertificates.CreateServer();
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(certificate).ToUpperInvariant()));

        await connection.StartAsync();

        Assert.Equal("pinned", await connection.InvokeAsync<string>("Echo", "pinned"));
    }

    [Fact]
    public async Task Connect_WrongPin_IsRefusedNamingBothFingerprints()
    {
        using var certificate = TestCertificates.CreateServer();
        using var other = TestCertificates.CreateServer();
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(other)));

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartAsync());

        Assert.Equal("tls_rejected", error.Code);
        Assert.False(error.IsRetryable);
        Assert.Contains(
            $"The server's certificate fingerprint {TlsValidation.Fingerprint(certificate)} does not match the pinned {TlsValidation.Fingerprint(other)}.",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_NoValidation_AnUntrustedCertificateIsRefusedWithTheReason()
    {
        using var certificate = TestCertificates.CreateServer();
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, null);

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartAsync());

        Assert.Equal("tls_rejected", error.Code);
        Assert.Contains("is not trusted", error.Message, StringComparison.Ordinal);
        Assert.Contains(TlsValidation.Fingerprint(certificate), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_TrustedAuthorityThatIssuedTheCertificate_Connects()
    {
        using var ca = TestCertificates.CreateAuthority();
        using var certificate = TestCertificates.CreateServer(ca);
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, TlsValidation.TrustedAuthority(ca));

        await connection.StartAsync();

        Assert.Equal("ca", await connection.InvokeAsync<string>("Echo", "ca"));
    }

    [Fact]
    public async Task Connect_AnotherAuthority_IsRefused()
    {
        using var ca = TestCertificates.CreateAuthority();
        using var otherCa = TestCertificates.CreateAuthority("Other CA");
        using var certificate = TestCertificates.CreateServer(ca);
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, TlsValidation.TrustedAuthority(otherCa));

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartAsync());

        Assert.Equal("tls_rejected", error.Code);
        Assert.Contains("was not issued by the trusted authority CN=Other CA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_TrustedAuthority_ANameMismatchIsRefused()
    {
        using var ca = TestCertificates.CreateAuthority();
        using var certificate = TestCertificates.CreateServer(ca, dnsName: "elsewhere.example");
        await using var server = await TlsHubServer.StartAsync(certificate);
        await using var connection = Connect(server, TlsValidation.TrustedAuthority(ca));

        var error = await Assert.ThrowsAsync<MeshConnectionException>(() => connection.StartAsync());

        Assert.Contains("its names do not match the host", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustOnFirstUse_AcceptsAndReportsTheFingerprint()
    {
        using var certificate = TestCertificates.CreateServer();
        await using var server = await TlsHubServer.StartAsync(certificate);
        string? seen = null;
        await using var connection = Connect(server, TlsValidation.TrustOnFirstUse(f => seen = f));

        await connection.StartAsync();

        Assert.Equal(TlsValidation.Fingerprint(certificate), seen);
    }

    [Fact]
    public async Task ClientCertificate_IsPresentedAndSeenByTheServer()
    {
        using var certificate = TestCertificates.CreateServer();
        using var client = TestCertificates.CreateClient("agent-7");
        await using var server = await TlsHubServer.StartAsync(certificate, ClientCertificateMode.AllowCertificate);
        await using var connection = Connect(server, TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(certificate)), client);

        await connection.StartAsync();

        Assert.Contains("CN=agent-7", server.ClientCertificates);
    }

    [Fact]
    public async Task RequireMode_AClientWithoutACertificateCannotConnect()
    {
        using var certificate = TestCertificates.CreateServer();
        await using var server = await TlsHubServer.StartAsync(certificate, ClientCertificateMode.RequireCertificate);
        await using var connection = Connect(server, TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(certificate)));

        var error = await Assert.ThrowsAnyAsync<MeshConnectionException>(() => connection.StartAsync());

        Assert.True(error.Message.Contains("the server may require a client certificate", StringComparison.Ordinal), error.ToString());
        Assert.Empty(server.ClientCertificates);
    }

    [Fact]
    public void DescribeNetworkFailure_NamesTheMissingCertificate_InEachShapeTheRefusalArrivesIn()
    {
        // The refusal of a client without a certificate surfaces in different exceptions depending on timing;
        // under load it is a bare HttpRequestException with HttpRequestError.Unknown (seen in CI).
        Exception[] shapes =
        [
            new HttpRequestException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake."),
            new HttpRequestException("wrapper", new IOException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.")),
            new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            new HttpRequestException("wrapper", new HttpIOException(HttpRequestError.HttpProtocolError, "protocol error")),
        ];

        foreach (var shape in shapes)
        {
            Assert.EndsWith("(the server may require a client certificate: none was offered).", Internal.MeshTransport.DescribeNetworkFailure(shape, tlsWithoutClientCertificate: true), StringComparison.Ordinal);
            Assert.DoesNotContain("client certificate", Internal.MeshTransport.DescribeNetworkFailure(shape, tlsWithoutClientCertificate: false), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("client certificate", Internal.MeshTransport.DescribeNetworkFailure(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"), tlsWithoutClientCertificate: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequireMode_AClientWithACertificateConnects()
    {
        using var certificate = TestCertificates.CreateServer();
        using var client = TestCertificates.CreateClient("agent-8");
        await using var server = await TlsHubServer.StartAsync(certificate, ClientCertificateMode.RequireCertificate);
        await using var connection = Connect(server, TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(certificate)), client);

        await connection.StartAsync();

        Assert.Equal("mtls", await connection.InvokeAsync<string>("Echo", "mtls"));
    }

    [Fact]
    public async Task CreateHandler_UsesTheSameTrustAndClientCertificateForHttp()
    {
        using var certificate = TestCertificates.CreateServer();
        using var client = TestCertificates.CreateClient("rest-client");
        await using var server = await TlsHubServer.StartAsync(certificate, ClientCertificateMode.AllowCertificate);
        using var http = new HttpClient(TlsValidation.CreateHandler(TlsValidation.PinnedFingerprint(TlsValidation.Fingerprint(certificate)), client));
        using var untrusting = new HttpClient(TlsValidation.CreateHandler(TlsValidation.PinnedFingerprint(new string('0', 64))));

        Assert.Equal("hello", await http.GetStringAsync(server.Url("/hello")));
        Assert.Contains("CN=rest-client", server.ClientCertificates);
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetStringAsync(server.Url("/hello")));
    }

    private static HubConnection Connect(TlsHubServer server, System.Net.Security.RemoteCertificateValidationCallback? validation, System.Security.Cryptography.X509Certificates.X509Certificate2? clientCertificate = null) =>
        new HubConnectionBuilder()
            .WithMeshHub(server.Url(), o =>
            {
                o.ServerCertificateValidation = validation;
                if (clientCertificate is not null)
                {
                    o.ClientCertificates.Add(clientCertificate);
                }
            })
            .Build();
}
