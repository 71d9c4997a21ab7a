using System.CommandLine;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OrbitMesh.Agent;
using OrbitMesh.Cli.Commands;

namespace OrbitMesh.Cli.Tests.Commands;

/// <summary>The TLS options of <c>orbitmesh server</c> and <c>orbitmesh agent</c>.</summary>
public sealed class TlsOptionsTests
{
    [Theory]
    [InlineData(new string[0], null, "http://127.0.0.1:5080")]
    [InlineData(new[] { "--https" }, null, "https://127.0.0.1:5443")]
    [InlineData(new[] { "--https" }, "https://0.0.0.0:9443", "https://0.0.0.0:9443")]
    public void ServerUrls_DefaultByScheme(string[] arguments, string? urls, string expected)
    {
        var (tls, result) = ParseServer(arguments);

        Assert.Equal(expected, tls.Urls(result, urls));
    }

    [Fact]
    public void ServerUrls_HttpWithHttps_AndHttpsWithoutIt_AreErrors()
    {
        var (https, withHttps) = ParseServer(["--https"]);
        var (plain, withoutHttps) = ParseServer([]);

        Assert.Contains("is not an https URL", Assert.Throws<CliException>(() => https.Urls(withHttps, "https://127.0.0.1:1;http://127.0.0.1:2")).Message, StringComparison.Ordinal);
        Assert.Contains("pass --https", Assert.Throws<CliException>(() => plain.Urls(withoutHttps, "https://127.0.0.1:1")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none", ClientCertificateMode.NoCertificate)]
    [InlineData("allow", ClientCertificateMode.AllowCertificate)]
    [InlineData("require", ClientCertificateMode.RequireCertificate)]
    public void ServerClientCertificates_MapToKestrelModes(string value, ClientCertificateMode expected)
    {
        var (tls, result) = ParseServer(["--https", "--client-certificates", value]);

        Assert.Equal(expected, tls.ClientCertificateMode(result));
    }

    [Fact]
    public void ServerCertificateOptions_NeedHttps()
    {
        var (tls, result) = ParseServer(["--client-certificates", "require"]);

        Assert.Contains("need --https", Assert.Throws<CliException>(() => tls.Certificate(result, "unused")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_PinAndCaTogether_OrABadPin_AreErrors()
    {
        Assert.Contains("exclude each other", ApplyAgent(["--server-fingerprint", new string('a', 64), "--ca-certificate", "ca.pem"]).Message, StringComparison.Ordinal);
        Assert.Contains("--server-fingerprint", ApplyAgent(["--server-fingerprint", "xyz"]).Message, StringComparison.Ordinal);
        Assert.Contains("need --client-certificate", ApplyAgent(["--client-key", "k.pem"]).Message, StringComparison.Ordinal);
    }

    private static CliException ApplyAgent(string[] arguments)
    {
        var tls = new AgentTlsOptions();
        var command = new Command("agent");
        tls.AddTo(command);
        var result = command.Parse(arguments);
        Assert.Empty(result.Errors);
        return Assert.Throws<CliException>(() => tls.Apply(result, new MeshAgentBuilder()));
    }

    private static (ServerTlsOptions Tls, ParseResult Result) ParseServer(string[] arguments)
    {
        var tls = new ServerTlsOptions();
        var command = new Command("server");
        tls.AddTo(command);
        var result = command.Parse(arguments);
        Assert.Empty(result.Errors);
        return (tls, result);
    }
}
