using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Agent.Tests.Building;

public sealed class MeshAgentOptionsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080", "http://127.0.0.1:5080/mesh")]
    [InlineData("http://127.0.0.1:5080/", "http://127.0.0.1:5080/mesh")]
    [InlineData("https://mesh.example", "https://mesh.example/mesh")]
    [InlineData("http://127.0.0.1:5080/mesh", "http://127.0.0.1:5080/mesh")]
    [InlineData("http://127.0.0.1:5080/custom/hub", "http://127.0.0.1:5080/custom/hub")]
    [InlineData("ws://127.0.0.1:5080/agents", "ws://127.0.0.1:5080/agents")]
    public void HubUrl_BaseUrlGetsTheHubPathAndAFullHubUrlIsKept(string server, string expected)
    {
        var options = new MeshAgentOptions { Server = new Uri(server) };

        Assert.Equal(new Uri(expected), options.HubUrl);
    }

    [Fact]
    public void HubUrl_NoServer_Throws()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new MeshAgentOptions().HubUrl);

        Assert.Contains("server URL is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void EffectiveId_NoId_IsTheLowercaseMachineName(string? id)
    {
        Assert.Equal(Environment.MachineName.ToLowerInvariant(), new MeshAgentOptions { Id = id }.EffectiveId);
    }

    [Fact]
    public void EffectiveId_GivenId_IsKeptAsItIs()
    {
        Assert.Equal("Node-A", new MeshAgentOptions { Id = "Node-A" }.EffectiveId);
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new MeshAgentOptions();

        Assert.Null(options.Server);
        Assert.Null(options.Token);
        Assert.Equal(8, options.MaxConcurrentJobs);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.ReconnectBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ReconnectMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ServerTimeout);
        Assert.Equal(HubConnection.DefaultKeepAliveInterval, options.KeepAliveInterval);
        Assert.False(options.RetryInitialConnection);
        Assert.False(options.IncludeErrorDetails);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        Assert.Empty(options.Capabilities);
        Assert.Empty(options.Groups);
        Assert.Empty(options.Metadata);
    }

    [Fact]
    public void Validate_ValidOptions_DoesNotThrow()
    {
        var options = new MeshAgentOptions { Server = new Uri("http://127.0.0.1:5080"), Id = "a" };

        options.Validate();
    }

    [Fact]
    public void Validate_ListsEveryProblem()
    {
        var options = new MeshAgentOptions
        {
            Server = new Uri("ftp://x"),
            Id = "a\u0000",
            MaxConcurrentJobs = 0,
            ReconnectBaseDelay = TimeSpan.FromSeconds(2),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        };

        var error = Assert.Throws<OrbitMeshException>(options.Validate);

        Assert.Equal("invalid_options", error.Code);
        Assert.Contains("MaxConcurrentJobs", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReconnectBaseDelay", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ftp://x/' must use http or https", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent id", error.Message, StringComparison.Ordinal);
    }
}
