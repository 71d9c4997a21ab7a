using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Agent.Tests.Building;

/// <summary>Building agents: settings validation, handler registration and build-once.</summary>
public sealed class MeshAgentBuilderTests
{
    private static MeshAgentBuilder Valid() => new MeshAgentBuilder().WithServer("http://127.0.0.1:5080").WithId("agent-1");

    private static OrbitMeshException BuildFails(MeshAgentBuilder builder)
    {
        var error = Assert.Throws<OrbitMeshException>(builder.Build);
        Assert.Equal("invalid_options", error.Code);
        Assert.StartsWith("The agent settings are invalid: ", error.Message, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public async Task Build_ValidSettings_BuildsADisconnectedAgent()
    {
        await using var agent = Valid().WithToken("t").RegisterHandler("echo", c => c.Parameters).Build();

        Assert.Equal("agent-1", agent.Id);
        Assert.Equal(HubConnectionState.Disconnected, agent.State);
        Assert.False(agent.IsRegistered);
        Assert.Null(agent.Registration);
        Assert.Equal(0, agent.ActiveJobs);
        Assert.Equal(["echo"], agent.Commands);
    }

    [Fact]
    public void Build_NoServer_FailsNamingTheServer()
    {
        var error = BuildFails(new MeshAgentBuilder().WithId("a"));

        Assert.Contains("The server URL is required (WithServer / --server).", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("file:///tmp/socket")]
    public void Build_UnsupportedScheme_FailsNamingTheUrl(string url)
    {
        var error = BuildFails(new MeshAgentBuilder().WithServer(url).WithId("a"));

        Assert.Contains("must use http or https", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("https://mesh.example:443")]
    [InlineData("ws://127.0.0.1:5080/mesh")]
    [InlineData("wss://127.0.0.1:5080/mesh")]
    public async Task Build_SupportedScheme_Builds(string url)
    {
        await using var agent = new MeshAgentBuilder().WithServer(url).WithId("a").Build();

        Assert.Equal("a", agent.Id);
    }

    [Fact]
    public void WithServer_NotAnAbsoluteUrl_Throws()
    {
        Assert.Throws<UriFormatException>(() => new MeshAgentBuilder().WithServer("127.0.0.1:5080/x y"));
    }

    [Theory]
    [InlineData("bad\u0001id")]
    [InlineData("line\nbreak")]
    public void Build_IdWithControlCharacters_Fails(string id)
    {
        var error = BuildFails(Valid().WithId(id));

        Assert.Contains(OrbitMesh.Protocol.RegistrationValidator.AgentIdRule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_IdOf129Characters_Fails()
    {
        BuildFails(Valid().WithId(new string('a', 129)));
    }

    [Fact]
    public async Task Build_IdOf128Characters_Builds()
    {
        await using var agent = Valid().WithId(new string('a', 128)).Build();

        Assert.Equal(128, agent.Id.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void Build_MaxConcurrentJobsOutOfRange_Fails(int max)
    {
        var error = BuildFails(Valid().WithMaxConcurrentJobs(max));

        Assert.Contains("MaxConcurrentJobs", error.Message, StringComparison.Ordinal);
        Assert.Contains("between 1 and 10000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10_000)]
    public async Task Build_MaxConcurrentJobsAtTheBounds_Builds(int max)
    {
        await using var agent = Valid().WithMaxConcurrentJobs(max).Build();

        Assert.Equal(max, agent.BuildRegistration().MaxConcurrentJobs);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(-5, 1000)]
    [InlineData(500, 499)]
    public void Build_BadReconnectDelays_Fail(int baseMs, int maxMs)
    {
        var error = BuildFails(Valid().Configure(o =>
        {
            o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(baseMs);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(maxMs);
        }));

        Assert.Contains("ReconnectBaseDelay must be positive and ReconnectMaxDelay at least as large.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_EqualReconnectDelays_Builds()
    {
        await using var agent = Valid().Configure(o =>
        {
            o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(100);
            o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100);
        }).Build();

        Assert.NotNull(agent);
    }

    [Fact]
    public void Build_SeveralProblems_ListsThemAll()
    {
        var error = BuildFails(new MeshAgentBuilder()
            .WithId("bad\u0000")
            .WithMaxConcurrentJobs(0)
            .Configure(o => o.ReconnectBaseDelay = TimeSpan.Zero));

        Assert.Contains("server URL is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrentJobs", error.Message, StringComparison.Ordinal);
        Assert.Contains("ReconnectBaseDelay", error.Message, StringComparison.Ordinal);
        Assert.Contains("agent id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_Twice_Throws()
    {
        var builder = Valid();
        await using var agent = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(builder.Build);

        Assert.Equal("This MeshAgentBuilder has already built an agent; create a new builder.", error.Message);
    }

    [Fact]
    public async Task Build_AfterAFailedValidation_CanBeFixedAndBuilt()
    {
        var builder = new MeshAgentBuilder().WithId("a");
        BuildFails(builder);

        await using var agent = builder.WithServer("http://127.0.0.1:1").Build();

        Assert.Equal("a", agent.Id);
    }

    [Fact]
    public void RegisterHandler_InvalidCommandName_Throws()
    {
        Assert.Throws<ArgumentException>(() => Valid().RegisterHandler("", c => null));
        Assert.Throws<ArgumentException>(() => Valid().RegisterHandler("a\tb", (c, ct) => Task.FromResult<object?>(null)));
        Assert.Throws<ArgumentException>(() => Valid().RegisterHandler<EchoHandler>(new string('x', 129)));
    }

    [Fact]
    public void RegisterHandler_Duplicate_Throws()
    {
        var builder = Valid().RegisterHandler("echo", c => null);

        Assert.Throws<InvalidOperationException>(() => builder.RegisterStreamHandler("echo", (_, _) => AsyncEnumerable.Empty<object?>()));
        Assert.Throws<InvalidOperationException>(() => builder.RegisterHandler<EchoHandler>("echo"));
    }

    [Fact]
    public void RegisterHandler_TypeThatIsNotAHandler_Throws()
    {
        Assert.Throws<ArgumentException>(() => Valid().RegisterHandler<string>("text"));
    }

    [Fact]
    public void RegisterHandler_NullDelegates_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => Valid().RegisterHandler("a", (Func<MeshCommand, object?>)null!));
        Assert.Throws<ArgumentNullException>(() => Valid().RegisterHandler("a", (Func<MeshCommand, CancellationToken, Task<object?>>)null!));
        Assert.Throws<ArgumentNullException>(() => Valid().RegisterStreamHandler("a", null!));
    }

    [Fact]
    public async Task BuildRegistration_ReflectsTheBuilderSettings()
    {
        await using var agent = Valid()
            .WithName("Agent One")
            .WithCapabilities("gpu", "linux")
            .WithCapabilities(new AgentCapability("avx2"))
            .WithGroups("blue")
            .WithMetadata("zone", "a")
            .WithMetadata("zone", "b")
            .WithMaxConcurrentJobs(3)
            .RegisterHandler("zeta", c => null)
            .RegisterHandler<EchoHandler>("alpha")
            .RegisterStreamHandler("mid", (_, _) => AsyncEnumerable.Empty<object?>())
            .Build();

        var registration = agent.BuildRegistration();

        Assert.Equal("agent-1", registration.Id);
        Assert.Equal("Agent One", registration.Name);
        Assert.Equal(["gpu", "linux", "avx2"], registration.Capabilities);
        Assert.Equal(["blue"], registration.Groups);
        Assert.Equal(["alpha", "mid", "zeta"], registration.Commands);
        Assert.Equal("b", Assert.Single(registration.Metadata!).Value);
        Assert.Equal(3, registration.MaxConcurrentJobs);
        Assert.Equal(Protocol.ProtocolLimits.ProtocolVersion, registration.ProtocolVersion);
        Assert.False(string.IsNullOrEmpty(registration.Version));
        Assert.Empty(Protocol.RegistrationValidator.Validate(registration));
    }

    [Fact]
    public async Task BuildRegistration_NoMetadata_SendsNone()
    {
        await using var agent = Valid().Build();

        Assert.Null(agent.BuildRegistration().Metadata);
        Assert.Equal(MeshAgentOptions.DefaultMaxConcurrentJobs, agent.BuildRegistration().MaxConcurrentJobs);
    }

    [Fact]
    public async Task Build_WithoutId_UsesTheMachineName()
    {
        await using var agent = new MeshAgentBuilder().WithServer("http://127.0.0.1:5080").Build();

        Assert.Equal(Environment.MachineName.ToLowerInvariant(), agent.Id);
    }

    [Fact]
    public async Task ConfigureConnection_IsAppliedToTheConnection()
    {
        var applied = 0;
        await using var agent = Valid()
            .ConfigureConnection(o => applied++)
            .ConfigureConnection(o => applied++)
            .Build();

        Assert.Equal(2, applied);
    }

    private sealed class EchoHandler : IMeshHandler
    {
        public Task<object?> HandleAsync(MeshCommand command, CancellationToken cancellationToken) => Task.FromResult<object?>(command.Parameters);
    }
}
