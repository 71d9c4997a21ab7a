using OrbitMesh.Cli.Commands;

namespace OrbitMesh.Cli.Tests.Commands;

public sealed class CommonOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("https://mesh.example")]
    [InlineData("http://[::1]:5080/")]
    public void ParseServer_HttpOrHttps_IsAccepted(string value)
    {
        Assert.Equal(new Uri(value), CommonOptions.ParseServer(value));
    }

    [Theory]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("ws://127.0.0.1:5080")]
    [InlineData("not a url")]
    [InlineData("")]
    [InlineData("127.0.0.1:5080")]
    [InlineData("localhost:5080")]
    [InlineData("/var/run/orbitmesh")]
    public void ParseServer_Other_ThrowsACliExceptionNamingTheValue(string value)
    {
        var error = Assert.Throws<CliException>(() => CommonOptions.ParseServer(value));

        Assert.Equal($"--server '{value}' is not an http or https URL.", error.Message);
        Assert.Equal(1, error.ExitCode);
    }

    [Fact]
    public void DefaultServer_IsTheLoopbackDefault()
    {
        Assert.Equal("http://127.0.0.1:5080", CommonOptions.DefaultServer);
    }
}
