using OrbitMesh.Cli.Hosting;
using OrbitMesh.Cli.Tests.CommandLine;

namespace OrbitMesh.Cli.Tests.Hosting;

/// <summary>Safe defaults: no unauthenticated REST API on an address other hosts can reach, unless asked for by name.</summary>
public sealed class ExposureCheckTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://[::1]:5080")]
    [InlineData("http://127.0.0.1:5080;http://[::1]:5081")]
    public void LoopbackOnly_IsAllowedWithoutAnApiKey(string urls) =>
        Assert.Null(ExposureCheck.Check(new ServerSettings { Urls = urls }, insecureDevelopment: false));

    [Theory]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("http://*:5080")]
    [InlineData("http://+:5080")]
    [InlineData("http://[::]:5080")]
    [InlineData("http://192.168.1.20:5080")]
    [InlineData("http://mesh.example.internal:5080")]
    [InlineData("http://127.0.0.1:5080;http://0.0.0.0:5081")]
    public void PublicAddresses_WithoutAnApiKey_AreRefused_UnlessInsecureDevelopmentIsNamed(string urls)
    {
        var settings = new ServerSettings { Urls = urls };

        var error = Assert.Throws<CliException>(() => ExposureCheck.Check(settings, insecureDevelopment: false));
        Assert.Contains("--api-key", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("warning: --insecure-development", ExposureCheck.Check(settings, insecureDevelopment: true), StringComparison.Ordinal);
        Assert.Null(ExposureCheck.Check(settings with { ApiKey = "a-long-api-key" }, insecureDevelopment: false));
    }

    [Fact]
    public async Task Server_OnAPublicAddressWithoutAnApiKey_ExitsWithOneErrorLine_BeforeListening()
    {
        var result = await OrbitMeshProcess.RunAsync("server", "--urls", "http://0.0.0.0:0", "--storage", "memory", "--agent-token", "test-agent-token-0001");

        Assert.NotEqual(0, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("refusing to serve the REST API without authentication on http://0.0.0.0:0", error, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", result.Stdout, StringComparison.Ordinal);
    }
}
