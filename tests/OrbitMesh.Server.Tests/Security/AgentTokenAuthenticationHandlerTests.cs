using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Security;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using OrbitMesh.Transport;

namespace OrbitMesh.Server.Tests.Security;

/// <summary>Agents authenticate with a token at connect; refusals happen before the WebSocket upgrade.</summary>
public sealed class AgentTokenAuthenticationHandlerTests : IAsyncLifetime
{
    private TestMeshServer _server = null!;

    public async Task InitializeAsync() => _server = await TestMeshServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Connect_NoToken_IsRefusedWith401AndTheReason()
    {
        await using var connection = new HubConnectionBuilder().WithMeshHub(_server.HubUrl).Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => Wait.ForAsync(connection.StartMeshAsync(), "the refusal"));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains(AgentTokenAuthenticationHandler.MissingToken, error.Message, StringComparison.Ordinal);
        Assert.False(error.IsRetryable);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
        await AssertRefusalLoggedAsync(AgentTokenAuthenticationHandler.MissingToken);
    }

    [Fact]
    public async Task Connect_WrongToken_IsRefusedWith401AndTheReason()
    {
        await using var connection = new HubConnectionBuilder().WithMeshHub(_server.HubUrl, "not-the-right-token").Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => Wait.ForAsync(connection.StartMeshAsync(), "the refusal"));

        Assert.Equal(401, error.StatusCode);
        Assert.Contains(AgentTokenAuthenticationHandler.UnknownToken, error.Message, StringComparison.Ordinal);
        await AssertRefusalLoggedAsync(AgentTokenAuthenticationHandler.UnknownToken);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.Message.Contains("not-the-right-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_WrongToken_IsRefusedBeforeTheWebSocketUpgrade()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer not-the-right-token");

        await Assert.ThrowsAsync<WebSocketException>(() => Wait.ForAsync(socket.ConnectAsync(WebSocketUri(), CancellationToken.None), "the refusal"));

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        var headers = socket.HttpResponseHeaders!;
        Assert.Equal(AgentTokenAuthenticationHandler.UnknownToken, Assert.Single(headers["X-OrbitMesh-Error"]));
        Assert.Contains("error_description=\"" + AgentTokenAuthenticationHandler.UnknownToken + "\"", string.Join(",", headers["WWW-Authenticate"]), StringComparison.Ordinal);
        Assert.Equal(0, _server.Services.GetRequiredService<OrbitMesh.Server.Agents.UnregisteredConnections>().Count);
    }

    [Fact]
    public async Task Connect_TokenInTheAccessTokenQueryString_IsAccepted()
    {
        var url = new Uri(_server.HubUrl + "?access_token=" + Uri.EscapeDataString(TestMeshServer.AgentToken));
        await using var connection = new HubConnectionBuilder().WithMeshHub(url).Build();
        await Wait.ForAsync(connection.StartMeshAsync(), "the connect");

        var result = await connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, Registrations.Valid("query-token"));

        Assert.Equal("query-token", result.AgentId);
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("query-token")?.Status);
    }

    [Fact]
    public async Task Connect_WrongTokenInTheQueryString_IsRefused()
    {
        var url = new Uri(_server.HubUrl + "?access_token=wrong-token-in-query");
        await using var connection = new HubConnectionBuilder().WithMeshHub(url).Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => Wait.ForAsync(connection.StartMeshAsync(), "the refusal"));
        Assert.Contains(AgentTokenAuthenticationHandler.UnknownToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_EmptyBearerToken_IsRefusedAsMissing()
    {
        await using var connection = new HubConnectionBuilder()
            .WithMeshHub(_server.HubUrl, o => o.ConfigureHttpConnection = http => http.Headers["Authorization"] = "Bearer    ")
            .Build();

        var error = await Assert.ThrowsAsync<MeshAuthenticationException>(() => Wait.ForAsync(connection.StartMeshAsync(), "the refusal"));
        Assert.Contains(AgentTokenAuthenticationHandler.MissingToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_CorrectToken_IsAccepted()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        Assert.Equal(HubConnectionState.Connected, agent.Connection.State);
        Assert.DoesNotContain(_server.Logs.Entries, e => e.EventId.Id == 2040);
    }

    [Fact]
    public async Task Negotiate_WithoutToken_Is401ProblemJson()
    {
        using var http = new HttpClient { BaseAddress = _server.Url };

        using var response = await http.PostAsync("/mesh/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(401, problem.GetProperty("status").GetInt32());
        Assert.Equal(AgentTokenAuthenticationHandler.MissingToken + ".", problem.GetProperty("detail").GetString());
    }

    private Uri WebSocketUri() => new UriBuilder(_server.HubUrl) { Scheme = "ws" }.Uri;

    private Task AssertRefusalLoggedAsync(string reason) =>
        Wait.UntilAsync(
            () => _server.Logs.Contains(e => e.EventId.Id == 2040 && e.Message.Contains(reason, StringComparison.Ordinal) && e.Message.Contains("/mesh", StringComparison.Ordinal)),
            "the refusal is logged (2040)");
}
