using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OrbitMesh.Server.Tests.Api;

/// <summary>
/// Text that is not valid Unicode (invalid UTF-8, an escaped lone surrogate) and numbers out of range are
/// refused at the API with a 400 problem naming the field, and never reach an agent, whose connection
/// survives every such request.
/// </summary>
public sealed class InvalidTextTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;
    private OrbitMesh.Agent.MeshAgent _agent = null!;
    private HttpClient _http = null!;
    private string _connectionId = null!;
    private int _reconnects;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync();
        _agent = _server.NewAgent("text-agent").RegisterHandler("echo", c => c.Parameters).Build();
        _agent.Reconnecting += _ =>
        {
            Interlocked.Increment(ref _reconnects);
            return Task.CompletedTask;
        };
        await _agent.ConnectAsync();
        Assert.True(_server.Services.GetRequiredService<OrbitMesh.Server.Agents.AgentRegistry>().TryGetConnectionId("text-agent", out var connectionId));
        _connectionId = connectionId;
        _http = new HttpClient { BaseAddress = _server.Url };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _agent.DisposeAsync();
        await _server.DisposeAsync();
    }

    public static TheoryData<string, string> LoneSurrogates => new()
    {
        { "/api/agents/text-agent/send", """{"command":"echo","parameters":{"x":"\ud800"}}""" },
        { "/api/agents/text-agent/invoke", """{"command":"echo","parameters":{"x":"\ud800"}}""" },
        { "/api/jobs", """{"command":"echo","parameters":{"x":"\ud800"}}""" },
        { "/api/jobs", """{"command":"echo","parameters":{"list":[1,{"y":"ok\udfff"}]}}""" },
        { "/api/jobs/all", """{"command":"echo","parameters":{"x":"\ud800"}}""" },
        { "/api/jobs", """{"command":"echo\ud800"}""" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task LoneSurrogate_Is400NamingTheField_AndTheAgentStaysConnected(string path, string body)
    {
        using var response = await PostAsync(path, Encoding.UTF8.GetBytes(body));

        var detail = await AssertBadRequestAsync(response);
        Assert.Contains("not valid Unicode at $.", detail, StringComparison.Ordinal);
        await AssertAgentServesAsync();
    }

    [Fact]
    public async Task LoneSurrogate_NamesItsPath()
    {
        using var response = await PostAsync("/api/jobs", Encoding.UTF8.GetBytes("""{"command":"echo","parameters":{"list":[1,{"y":"ok\udfff"}]}}"""));

        Assert.Contains("at $.parameters.list[1].y ", await AssertBadRequestAsync(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/jobs")]
    [InlineData("/api/jobs/all")]
    [InlineData("/api/agents/text-agent/send")]
    [InlineData("/api/agents/text-agent/invoke")]
    public async Task InvalidUtf8_Is400(string path)
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"command":"echo","parameters":{"x":" """), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}}")];
        using var response = await PostAsync(path, body);

        Assert.Contains("at $.parameters.x", await AssertBadRequestAsync(response), StringComparison.Ordinal);
        await AssertAgentServesAsync();
    }

    [Fact]
    public async Task TwinPatch_WithALoneSurrogate_Is400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/api/agents/text-agent/twin")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"desired":{"mode":"\ud800"}}""")) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        using var response = await _http.SendAsync(request);

        Assert.Contains("at $.desired.mode", await AssertBadRequestAsync(response), StringComparison.Ordinal);
        await AssertAgentServesAsync();
    }

    [Theory]
    [InlineData("/api/jobs", "1e15")]
    [InlineData("/api/jobs", "1e300")]
    [InlineData("/api/jobs", "-1e300")]
    [InlineData("/api/jobs/all", "1e15")]
    public async Task TimeoutOutOfRange_Is400NamingTheField(string path, string seconds)
    {
        using var response = await PostAsync(path, Encoding.UTF8.GetBytes($$"""{"command":"echo","timeoutSeconds":{{seconds}}}"""));

        Assert.Contains("timeoutSeconds must be", await AssertBadRequestAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InProcessCallers_WithALoneSurrogate_AreRefusedBeforeTheAgentIsReached()
    {
        var parameters = JsonDocument.Parse("""{"x":"\ud800"}""").RootElement;

        var send = await Assert.ThrowsAsync<MeshValidationException>(() => _server.Mesh.SendAsync("text-agent", "echo", parameters));
        var job = await Assert.ThrowsAsync<MeshValidationException>(() => _server.Mesh.SubmitAsync(new JobRequest { Command = "echo", Parameters = parameters }));

        Assert.Contains("not valid Unicode at parameters.x", send.Errors.Single(), StringComparison.Ordinal);
        Assert.Contains(job.Errors, e => e.Contains("not valid Unicode at parameters.x", StringComparison.Ordinal));
        await AssertAgentServesAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await _http.PostAsync(path, content);
    }

    private static async Task<string> AssertBadRequestAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        return problem.RootElement.GetProperty("detail").GetString()!;
    }

    /// <summary>The agent is still connected on its first connection and runs work.</summary>
    private async Task AssertAgentServesAsync()
    {
        var answer = await _server.Mesh.InvokeAsync<JsonElement>("text-agent", "echo", new { still = "here" });
        Assert.Equal("here", answer.GetProperty("still").GetString());
        Assert.Equal(0, Volatile.Read(ref _reconnects));
        Assert.True(_server.Services.GetRequiredService<OrbitMesh.Server.Agents.AgentRegistry>().TryGetConnectionId("text-agent", out var connectionId));
        Assert.Equal(_connectionId, connectionId);
    }
}
