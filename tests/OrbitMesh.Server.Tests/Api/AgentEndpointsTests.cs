using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrbitMesh.Server.Tests.Infrastructure;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>GET /api/agents and GET /api/agents/{id} over real HTTP.</summary>
public sealed class AgentEndpointsTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private HttpClient _http = null!;
    private RawAgent _gpu = null!;
    private RawAgent _cpu = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync();
        _http = new HttpClient { BaseAddress = _server.Url };
        _gpu = await RawAgent.RegisterAsync(_server, "gpu-1", capabilities: ["gpu", "linux"], groups: ["eu"]);
        _cpu = await RawAgent.RegisterAsync(_server, "cpu-1", capabilities: ["linux"], groups: ["us"]);
        var gone = await RawAgent.RegisterAsync(_server, "gone-1", capabilities: ["gpu"], groups: ["eu"]);
        await gone.DisposeAsync();
        await _server.WaitForAgentAsync("gone-1", AgentStatus.Disconnected);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gpu.DisposeAsync();
        await _cpu.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetAgent_HasTheDocumentedJsonShape()
    {
        await _gpu.HeartbeatAsync(activeJobs: 1);

        using var response = await _http.GetAsync("/api/agents/gpu-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var agent = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("gpu-1", agent.GetProperty("id").GetString());
        Assert.Equal("Agent gpu-1", agent.GetProperty("name").GetString());
        Assert.Equal("Ready", agent.GetProperty("status").GetString());
        Assert.Equal(["gpu", "linux"], agent.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["eu"], agent.GetProperty("groups").EnumerateArray().Select(c => c.GetString()));
        Assert.True(agent.GetProperty("connectedAt").TryGetDateTimeOffset(out _));
        Assert.True(agent.GetProperty("lastHeartbeatAt").TryGetDateTimeOffset(out _));
        var load = agent.GetProperty("load");
        Assert.Equal(1, load.GetProperty("activeJobs").GetInt32());
        Assert.Equal(2, load.GetProperty("maxConcurrentJobs").GetInt32());
        Assert.Equal(12.5, load.GetProperty("cpuPercent").GetDouble());
        Assert.Equal(1000, load.GetProperty("workingSetBytes").GetInt64());
        Assert.False(agent.TryGetProperty("Id", out _), "property names are camelCase");
        Assert.False(agent.TryGetProperty("disconnectedAt", out _), "null values are omitted");
    }

    [Fact]
    public async Task GetAgent_Disconnected_HasItsStatusAndDisconnectedAt()
    {
        var agent = await GetJsonAsync("/api/agents/gone-1");

        Assert.Equal("Disconnected", agent.GetProperty("status").GetString());
        Assert.True(agent.GetProperty("disconnectedAt").TryGetDateTimeOffset(out _));
    }

    [Fact]
    public async Task ListAgents_ReturnsEveryKnownAgentOrderedById()
    {
        var agents = await GetJsonAsync("/api/agents");

        Assert.Equal(["cpu-1", "gone-1", "gpu-1"], Ids(agents));
        Assert.All(agents.EnumerateArray(), a => Assert.Equal(JsonValueKind.String, a.GetProperty("status").ValueKind));
    }

    [Theory]
    [InlineData("?status=Ready", new[] { "cpu-1", "gpu-1" })]
    [InlineData("?status=ready", new[] { "cpu-1", "gpu-1" })]
    [InlineData("?status=DISCONNECTED", new[] { "gone-1" })]
    [InlineData("?status=Unreachable", new string[0])]
    [InlineData("?capability=gpu", new[] { "gone-1", "gpu-1" })]
    [InlineData("?capability=linux", new[] { "cpu-1", "gpu-1" })]
    [InlineData("?capability=GPU", new string[0])]
    [InlineData("?group=eu", new[] { "gone-1", "gpu-1" })]
    [InlineData("?group=us", new[] { "cpu-1" })]
    [InlineData("?status=Ready&capability=gpu&group=eu", new[] { "gpu-1" })]
    [InlineData("?status=", new[] { "cpu-1", "gone-1", "gpu-1" })]
    public async Task ListAgents_Filters(string query, string[] expected)
    {
        var agents = await GetJsonAsync("/api/agents" + query);

        Assert.Equal(expected, Ids(agents));
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("Ready,Paused")]
    [InlineData("Ready, Running")]
    public async Task ListAgents_UnknownStatus_Is400ProblemJson(string status)
    {
        using var response = await _http.GetAsync("/api/agents?status=" + Uri.EscapeDataString(status));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains($"Unknown status '{status}'", detail, StringComparison.Ordinal);
        Assert.Contains("Ready", detail, StringComparison.Ordinal);
        Assert.Contains("Disconnected", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAgent_UnknownId_Is404ProblemJson()
    {
        using var response = await _http.GetAsync("/api/agents/nobody");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal("No agent with id 'nobody' is known to this server.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("rack.7:node@eu-1")]
    [InlineData("gpu_node-01")]
    public async Task GetAgent_IdWithEveryAllowedPunctuation_IsFound(string id)
    {
        await using var agent = await RawAgent.ConnectAsync(_server);
        await agent.RegisterAsync(Registrations.Valid(id));

        var found = await GetJsonAsync("/api/agents/" + Uri.EscapeDataString(id));

        Assert.Equal(id, found.GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("rack/7/node")]
    [InlineData("100%")]
    [InlineData("a+b c")]
    [InlineData("node ä#1")]
    [InlineData("..")]
    [InlineData("*")]
    public async Task Register_IdThatCannotBeAPathSegmentOrFileName_IsRefused(string id)
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var error = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => agent.RegisterAsync(Registrations.Valid(id)));

        Assert.Contains(OrbitMesh.Protocol.RegistrationValidator.AgentIdRule, error.Message, StringComparison.Ordinal);
        Assert.Null(_server.Registry.GetAgent(id));
    }

    [Fact]
    public async Task ListAgents_ReflectsReplacement()
    {
        await using var replacement = await RawAgent.ConnectAsync(_server);
        var result = await replacement.RegisterAsync(Registrations.Valid("cpu-1", capabilities: ["arm"]));

        Assert.True(result.ReplacedExisting);
        var agents = await GetJsonAsync("/api/agents?capability=arm");
        Assert.Equal(["cpu-1"], Ids(agents));
        Assert.Empty(Ids(await GetJsonAsync("/api/agents?group=us")));
    }

    private static string[] Ids(JsonElement agents) => agents.EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToArray();

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
