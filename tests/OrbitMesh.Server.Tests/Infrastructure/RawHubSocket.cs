using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OrbitMesh.Server.Tests.Infrastructure;

/// <summary>
/// A bare WebSocket to the agent hub that speaks the SignalR JSON protocol by hand, so tests can put
/// exactly the bytes they want on the wire. A background loop reads every frame and splits the text on
/// the record separator (0x1E); each record is kept as parsed JSON.
/// </summary>
internal sealed class RawHubSocket : IAsyncDisposable
{
    public const char RecordSeparator = '\u001e';

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _incoming = Channel.CreateUnbounded<JsonElement>();
    private readonly ConcurrentQueue<JsonElement> _all = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiveLoop = Task.CompletedTask;
    private int _nextInvocationId;

    private RawHubSocket(ClientWebSocket socket)
    {
        _socket = socket;
    }

    /// <summary>Completes when the server closed the WebSocket (close frame, reset or end of stream).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Every record received so far, in order (pings included).</summary>
    public IReadOnlyList<JsonElement> Received => _all.ToArray();

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public const string JsonHandshake = "{\"protocol\":\"json\",\"version\":1}\u001e";

    /// <summary>Opens the WebSocket with the test token and completes the handshake.</summary>
    public static async Task<RawHubSocket> ConnectAsync(TestMeshServer server)
    {
        var raw = await OpenAsync(server);
        await raw.SendTextAsync(JsonHandshake);
        var handshake = await raw.NextAsync(_ => true, "the handshake response");
        Assert.Equal(JsonValueKind.Object, handshake.ValueKind);
        Assert.False(handshake.TryGetProperty("error", out _), "the server rejected the handshake: " + handshake);
        return raw;
    }

    /// <summary>Opens the WebSocket with the test token, without the SignalR handshake.</summary>
    public static async Task<RawHubSocket> OpenAsync(TestMeshServer server)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + TestMeshServer.AgentToken);
        var uri = new UriBuilder(server.HubUrl) { Scheme = "ws" }.Uri;
        await Wait.ForAsync(socket.ConnectAsync(uri, CancellationToken.None), "the WebSocket to open");
        var raw = new RawHubSocket(socket);
        raw._receiveLoop = Task.Run(raw.ReceiveLoopAsync);
        return raw;
    }

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendBinaryAsync(byte[] bytes) => SendAsync(bytes, WebSocketMessageType.Binary);

    /// <summary>Sends one JSON hub message followed by the record separator.</summary>
    public Task SendRecordAsync(string json) => SendTextAsync(json + RecordSeparator);

    /// <summary>Sends an invocation and returns its invocation id.</summary>
    public async Task<string> InvokeAsync(string target, params object?[] arguments)
    {
        var id = Interlocked.Increment(ref _nextInvocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var message = JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments }, OrbitMeshJson.Options);
        await SendRecordAsync(message);
        return id;
    }

    /// <summary>Waits for the completion (type 3) of an invocation.</summary>
    public Task<JsonElement> CompletionAsync(string invocationId) =>
        NextAsync(m => Type(m) == 3 && m.GetProperty("invocationId").GetString() == invocationId, $"the completion of invocation {invocationId}");

    /// <summary>Waits for the server's Close message (type 7).</summary>
    public Task<JsonElement> CloseMessageAsync() => NextAsync(m => Type(m) == 7, "the server's Close message");

    /// <summary>Registers through raw frames and returns the completion's result.</summary>
    public async Task<JsonElement> RegisterAsync(string id)
    {
        var invocation = await InvokeAsync("Register", Registrations.Valid(id));
        var completion = await CompletionAsync(invocation);
        Assert.False(completion.TryGetProperty("error", out var error), "Register failed: " + error);
        return completion.GetProperty("result");
    }

    /// <summary>Waits for the next record that matches, skipping the others.</summary>
    public async Task<JsonElement> NextAsync(Func<JsonElement, bool> match, string because)
    {
        using var timeout = new CancellationTokenSource(Wait.DefaultTimeout);
        try
        {
            while (await _incoming.Reader.WaitToReadAsync(timeout.Token))
            {
                while (_incoming.Reader.TryRead(out var message))
                {
                    if (match(message))
                    {
                        return message;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Timed out waiting for {because}; received: {string.Join(" | ", Received)}");
        }

        throw new InvalidOperationException($"The connection closed before {because}; received: {string.Join(" | ", Received)}");
    }

    /// <summary>Drops the TCP connection without a close handshake, like a killed process.</summary>
    public void Abort() => _socket.Abort();

    public static int Type(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Number ? type.GetInt32() : -1;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        try
        {
            await _receiveLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task SendAsync(byte[] bytes, WebSocketMessageType type) =>
        await Wait.ForAsync(_socket.SendAsync(bytes, type, endOfMessage: true, _stop.Token), "a frame to be sent");

    private async Task ReceiveLoopAsync()
    {
        var pending = new List<byte>();
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                pending.AddRange(buffer.AsSpan(0, result.Count));
                int separator;
                while ((separator = pending.IndexOf((byte)RecordSeparator)) >= 0)
                {
                    var record = pending.GetRange(0, separator).ToArray();
                    pending.RemoveRange(0, separator + 1);
                    using var document = JsonDocument.Parse(record);
                    var message = document.RootElement.Clone();
                    _all.Enqueue(message);
                    _incoming.Writer.TryWrite(message);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _incoming.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }
}
