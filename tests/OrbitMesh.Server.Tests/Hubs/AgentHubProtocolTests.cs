using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using OrbitMesh.Agent;
using OrbitMesh.Protocol;
using OrbitMesh.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace OrbitMesh.Server.Tests.Hubs;

/// <summary>
/// Bad input on the wire, with raw WebSocket frames and through the transport client. Frame-level problems
/// close the offending connection with a Close message naming the reason; invocation-level problems fail
/// only that invocation. Either way a well-behaved agent on the same server keeps being served.
/// </summary>
public sealed class AgentHubProtocolTests : IAsyncLifetime
{
    private const int MaximumMessageSize = 4096;

    private TestMeshServer _server = null!;
    private MeshAgent _witness = null!;

    public async Task InitializeAsync()
    {
        _server = await TestMeshServer.StartAsync(o => o.MaximumMessageSize = MaximumMessageSize);
        _witness = await Witness.StartAsync(_server);
    }

    public async Task DisposeAsync()
    {
        await _witness.DisposeAsync();
        await _server.DisposeAsync();
    }

    public static TheoryData<string, string> MalformedFrames => new()
    {
        { "binary garbage", "InvalidDataException: Error reading JSON." },
        { "text without a record separator over the size limit", $"InvalidDataException: The maximum message size of {MaximumMessageSize}B was exceeded." },
        { "invalid JSON", "InvalidDataException: Error reading JSON." },
        { "a JSON array instead of a message", "InvalidDataException: Unexpected JSON Token Type 'Array'. Expected a JSON Object." },
        { "a message type that is not a number", "InvalidDataException: Expected 'type' to be of type Number." },
        { "a valid invocation over the size limit", $"InvalidDataException: The maximum message size of {MaximumMessageSize}B was exceeded." },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task MalformedFrame_FromAnUnregisteredConnection_ClosesItWithTheReason(string frame, string reason)
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);

        await SendAsync(raw, frame);

        var close = await raw.CloseMessageAsync();
        Assert.StartsWith("Connection closed with an error. " + reason, close.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Wait.ForAsync(raw.Closed, "the server to close the WebSocket");
        var logged = reason[(reason.IndexOf(':', StringComparison.Ordinal) + 2)..];
        await Wait.UntilAsync(() => _server.Logs.Contains(e => e.EventId.Id == 2007 && e.Message.Contains(logged, StringComparison.Ordinal)), "the close and its reason are logged (2007)");
        await Witness.AssertServedAsync(_server);
    }

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task MalformedFrame_FromARegisteredAgent_DisconnectsItWithTheReason(string frame, string reason)
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);
        await raw.RegisterAsync("sloppy");

        await SendAsync(raw, frame);

        var close = await raw.CloseMessageAsync();
        Assert.StartsWith("Connection closed with an error. " + reason, close.GetProperty("error").GetString(), StringComparison.Ordinal);
        await _server.WaitForAgentAsync("sloppy", AgentStatus.Disconnected);
        var logged = reason[(reason.IndexOf(':', StringComparison.Ordinal) + 2)..];
        await Wait.UntilAsync(() => _server.Logs.Contains(e => e.EventId.Id == 2006 && e.Message.Contains("sloppy", StringComparison.Ordinal) && e.Message.Contains(logged, StringComparison.Ordinal)), "the disconnect and its reason are logged (2006)");
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task SmallBinaryFrameWithoutSeparator_IsBufferedAndTheConnectionStaysUsable()
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);

        // Half a message: the server waits for the rest, which completes it.
        await raw.SendBinaryAsync("{\"type\":1,\"invocationId\":\"a\","u8.ToArray());
        await raw.SendRecordAsync("\"target\":\"Register\",\"arguments\":[{\"id\":\"split\",\"maxConcurrentJobs\":1,\"protocolVersion\":1,\"capabilities\":[],\"groups\":[],\"commands\":[]}]}");

        var completion = await raw.CompletionAsync("a");
        Assert.Equal("split", completion.GetProperty("result").GetProperty("agentId").GetString());
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("split")?.Status);
    }

    public static TheoryData<string, string, string> BadInvocations => new()
    {
        { "unknown hub method", """{"type":1,"invocationId":"7","target":"Nope","arguments":[]}""", "Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist." },
        { "Register with a number", """{"type":1,"invocationId":"7","target":"Register","arguments":[42]}""", "Failed to invoke 'Register' due to an error on the server. InvalidDataException: Error binding arguments. Make sure that the types of the provided values match the types of the hub method being invoked." },
        { "Register without its required id", """{"type":1,"invocationId":"7","target":"Register","arguments":[{}]}""", "Failed to invoke 'Register' due to an error on the server. InvalidDataException: Error binding arguments." },
        { "Register with a string for a list", """{"type":1,"invocationId":"7","target":"Register","arguments":[{"id":"x","capabilities":"gpu"}]}""", "Failed to invoke 'Register' due to an error on the server. InvalidDataException: Error binding arguments." },
        { "Register with two arguments", """{"type":1,"invocationId":"7","target":"Register","arguments":[{"id":"x"},{"id":"y"}]}""", "Failed to invoke 'Register' due to an error on the server. InvalidDataException: Invocation provides 2 argument(s) but target expects 1." },
        { "Register with no argument", """{"type":1,"invocationId":"7","target":"Register","arguments":[]}""", "Failed to invoke 'Register' due to an error on the server. InvalidDataException: Invocation provides 0 argument(s) but target expects 1." },
        { "Register as a stream", """{"type":4,"invocationId":"7","target":"Register","arguments":[{"id":"x"}]}""", "The client attempted to invoke the non-streaming 'Register' method with a streaming invocation." },
    };

    [Theory]
    [MemberData(nameof(BadInvocations))]
    public async Task BadInvocation_FailsOnlyThatInvocationWithAClearError(string @case, string message, string error)
    {
        Assert.NotEmpty(@case);
        await using var raw = await RawHubSocket.ConnectAsync(_server);

        await raw.SendRecordAsync(message);

        var completion = await raw.CompletionAsync("7");
        Assert.StartsWith(error, completion.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(_server.Logs.Contains(e => e.Category.StartsWith("Microsoft.AspNetCore.SignalR", StringComparison.Ordinal) && e.EventId.Id is 14 or 22), "SignalR logs the bad invocation (at Debug)");

        // The connection is still open and usable: it can register, and the witness is served.
        Assert.Equal("recovered", (await raw.RegisterAsync("recovered")).GetProperty("agentId").GetString());
        Assert.False(raw.Closed.IsCompleted);
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task BadInvocation_FromARegisteredAgent_LeavesItReady()
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);
        await raw.RegisterAsync("clumsy");

        await raw.SendRecordAsync("""{"type":1,"invocationId":"h","target":"Heartbeat","arguments":[{"activeJobs":"many"}]}""");

        var completion = await raw.CompletionAsync("h");
        Assert.Contains("Error binding arguments", completion.GetProperty("error").GetString(), StringComparison.Ordinal);
        var heartbeat = await raw.InvokeAsync(HubMethodNames.Heartbeat, new AgentHeartbeat { ActiveJobs = 1, MaxConcurrentJobs = 2 });
        Assert.False((await raw.CompletionAsync(heartbeat)).TryGetProperty("error", out _));
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("clumsy")?.Status);
        await Witness.AssertServedAsync(_server);
    }

    [Theory]
    [InlineData("""{"type":3,"invocationId":"forged","result":{"success":true}}""")]
    [InlineData("""{"type":5,"invocationId":"nothing-to-cancel"}""")]
    public async Task UnexpectedMessage_IsIgnoredAndTheAgentKeepsWorking(string message)
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);
        await raw.RegisterAsync("odd");

        await raw.SendRecordAsync(message);

        var heartbeat = await raw.InvokeAsync(HubMethodNames.Heartbeat, new AgentHeartbeat { ActiveJobs = 0, MaxConcurrentJobs = 2 });
        Assert.False((await raw.CompletionAsync(heartbeat)).TryGetProperty("error", out _));
        Assert.Equal(AgentStatus.Ready, _server.Registry.GetAgent("odd")?.Status);
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task UnknownMessageType_WedgesOnlyThatConnectionUntilTheLivenessMonitorClosesIt()
    {
        // SignalR's JSON protocol skips unknown message types, but the hub then processes nothing more
        // from that connection (not even after more messages arrive) and does not close it either.
        // OrbitMesh's liveness monitor closes it once its heartbeats stop arriving.
        await using var server = await TestMeshServer.StartAsync(o =>
        {
            o.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
            o.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            o.ClientTimeoutInterval = TimeSpan.FromMilliseconds(800);
        });
        await using var witness = await Witness.StartAsync(server);
        await using var raw = await RawHubSocket.ConnectAsync(server);
        await raw.RegisterAsync("future");

        await raw.SendRecordAsync("""{"type":99,"from":"a newer protocol"}""");
        var heartbeat = await raw.InvokeAsync(HubMethodNames.Heartbeat, new AgentHeartbeat { ActiveJobs = 0, MaxConcurrentJobs = 2 });

        await Wait.ForAsync(raw.Closed, "the liveness monitor to close the wedged connection");
        Assert.DoesNotContain(raw.Received, m => RawHubSocket.Type(m) == 3 && m.GetProperty("invocationId").GetString() == heartbeat);
        await server.WaitForAgentAsync("future", AgentStatus.Disconnected);
        Assert.True(server.Logs.Contains(e => e.EventId.Id == 2051 && e.Message.Contains("future", StringComparison.Ordinal)), "the close is logged (2051)");
        await Witness.AssertServedAsync(server);
    }

    [Fact]
    public async Task Register_MinimalJsonWithoutTheOptionalLists_IsAccepted()
    {
        await using var raw = await RawHubSocket.ConnectAsync(_server);

        await raw.SendRecordAsync("""{"type":1,"invocationId":"m","target":"Register","arguments":[{"id":"minimal","maxConcurrentJobs":1,"protocolVersion":1,"groups":null}]}""");

        var completion = await raw.CompletionAsync("m");
        Assert.False(completion.TryGetProperty("error", out var error), "the registration failed: " + error);
        var info = _server.Registry.GetAgent("minimal")!;
        Assert.Equal(AgentStatus.Ready, info.Status);
        Assert.Empty(info.Capabilities);
        Assert.Empty(info.Groups);
        Assert.Empty(info.Commands);
    }

    [Fact]
    public async Task Handshake_UnsupportedProtocol_IsRefusedWithTheReason()
    {
        await using var raw = await RawHubSocket.OpenAsync(_server);

        await raw.SendTextAsync("{\"protocol\":\"carrier-pigeon\",\"version\":1}\u001e");

        var response = await raw.NextAsync(_ => true, "the handshake response");
        Assert.Contains("carrier-pigeon", response.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Wait.ForAsync(raw.Closed, "the server to close the WebSocket");
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task Handshake_Skipped_TheConnectionIsClosed()
    {
        await using var raw = await RawHubSocket.OpenAsync(_server);

        await raw.SendRecordAsync("""{"type":1,"invocationId":"1","target":"Register","arguments":[{"id":"eager"}]}""");

        var response = await raw.NextAsync(_ => true, "the handshake response");
        Assert.True(response.TryGetProperty("error", out _), "the server answers with a handshake error: " + response);
        await Wait.ForAsync(raw.Closed, "the server to close the WebSocket");
        Assert.Null(_server.Registry.GetAgent("eager"));
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task HubConnection_UnknownMethod_ThrowsAClearHubExceptionAndStaysConnected()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "typo");

        var error = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(agent.Connection.InvokeAsync<object>("Heartbeet", new AgentHeartbeat()), "the failure"));

        Assert.Contains("Failed to invoke 'Heartbeet'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Method does not exist.", error.Message, StringComparison.Ordinal);
        await agent.HeartbeatAsync();
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task HubConnection_RegisterWithWrongArgumentTypes_ThrowsAClearHubException()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var number = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(agent.Connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, 42), "the failure"));
        var text = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(agent.Connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, "node-1"), "the failure"));
        var two = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(agent.Connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, Registrations.Valid("a"), Registrations.Valid("b")), "the failure"));

        Assert.Contains("Error binding arguments", number.Message, StringComparison.Ordinal);
        Assert.Contains("Error binding arguments", text.Message, StringComparison.Ordinal);
        Assert.Contains("Invocation provides 2 argument(s) but target expects 1.", two.Message, StringComparison.Ordinal);
        Assert.Equal("fine", (await agent.RegisterAsync(Registrations.Valid("fine"))).AgentId);
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task HubConnection_MessageOverTheSizeLimit_ClosesTheConnectionWithTheReason()
    {
        await using var agent = await RawAgent.ConnectAsync(_server);

        var call = agent.Connection.InvokeAsync<RegistrationResult>(HubMethodNames.Register, Registrations.Valid("wordy") with { Name = new string('n', 5000) });

        // The pending call fails with the server's reason for closing.
        var failure = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(call, "the call to fail"));
        Assert.Contains($"The maximum message size of {MaximumMessageSize}B was exceeded.", failure.Message, StringComparison.Ordinal);
        var error = Assert.IsType<HubException>(await Wait.ForAsync(agent.Closed, "the connection to close"));
        Assert.Contains($"The maximum message size of {MaximumMessageSize}B was exceeded.", error.Message, StringComparison.Ordinal);
        Assert.Null(_server.Registry.GetAgent("wordy"));
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task HubConnection_RegisteredAgentSendsAnOversizedHeartbeat_IsDisconnected()
    {
        await using var agent = await RawAgent.RegisterAsync(_server, "bloated");

        var call = agent.Connection.InvokeAsync<HeartbeatAck>(HubMethodNames.Heartbeat, new { activeJobs = 1, padding = new string('p', 5000) });

        await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(call, "the call to fail"));
        await _server.WaitForAgentAsync("bloated", AgentStatus.Disconnected);
        await Wait.UntilAsync(() => _server.Logs.Contains(e => e.EventId.Id == 2006 && e.Message.Contains("bloated", StringComparison.Ordinal) && e.Message.Contains("maximum message size", StringComparison.Ordinal)), "the disconnect and its reason are logged (2006)");
        await Witness.AssertServedAsync(_server);
    }

    [Fact]
    public async Task ResultOverTheSizeLimit_FailsTheInvocationAndDisconnectsThatAgentOnly()
    {
        await using var big = _server.NewAgent("big-mouth").RegisterHandler("dump", _ => new string('d', 10_000)).Build();
        await big.ConnectAsync();

        var error = await Assert.ThrowsAsync<MeshInvocationException>(() => Wait.ForAsync(_server.Mesh.InvokeAsync<string>("big-mouth", "dump"), "the failure"));

        Assert.Equal(MeshErrorCodes.AgentDisconnected, error.Code);
        await Wait.UntilAsync(() => _server.Logs.Contains(e => e.EventId.Id == 2006 && e.Message.Contains("big-mouth", StringComparison.Ordinal) && e.Message.Contains("maximum message size", StringComparison.Ordinal)), "the disconnect and its reason are logged (2006)");
        await Witness.AssertServedAsync(_server);
    }

    private static Task SendAsync(RawHubSocket raw, string frame) => frame switch
    {
        "binary garbage" => raw.SendBinaryAsync([0xFF, 0xFE, 0x00, 0x41, 0x7B, 0x1E]),
        "text without a record separator over the size limit" => raw.SendTextAsync(new string('a', MaximumMessageSize + 1000)),
        "invalid JSON" => raw.SendRecordAsync("{\"type\":1,\"target\":"),
        "a JSON array instead of a message" => raw.SendRecordAsync("[1,2,3]"),
        "a message type that is not a number" => raw.SendRecordAsync("{\"type\":\"one\"}"),
        "a valid invocation over the size limit" => raw.SendRecordAsync(JsonSerializer.Serialize(new
        {
            type = 1,
            invocationId = "big",
            target = HubMethodNames.Heartbeat,
            arguments = new object[] { new { activeJobs = 1, padding = new string('p', MaximumMessageSize) } },
        })),
        _ => throw new ArgumentOutOfRangeException(nameof(frame), frame, "unknown frame"),
    };
}
