using Microsoft.AspNetCore.SignalR.Client;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Transport.Tests;

/// <summary>Every hub protocol message type, against a real ASP.NET Core SignalR hub.</summary>
public sealed class HubConnectionMessageTests : IAsyncLifetime
{
    private HubServer _server = null!;
    private HubConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _server = await HubServer.StartAsync();
        _connection = new HubConnectionBuilder().WithMeshHub(_server.Url("/test")).Build();
        await _connection.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public void StartAsync_CompletesHandshake()
    {
        Assert.Equal(HubConnectionState.Connected, _connection.State);
    }

    [Fact]
    public async Task InvokeAsync_ReturnsTheHubMethodsResult()
    {
        Assert.Equal("hello", await _connection.InvokeAsync<string>("Echo", "hello"));
        Assert.Equal(5, await _connection.InvokeAsync<int>("Add", 2, 3));
    }

    [Fact]
    public async Task InvokeAsync_LargeMessage_IsReassembledAcrossFrames()
    {
        var large = new string('x', 200_000);
        Assert.Equal(large, await _connection.InvokeAsync<string>("Echo", large));
    }

    [Fact]
    public async Task InvokeAsync_HubThrows_ThrowsHubExceptionWithTheMessage()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => _connection.InvokeAsync<object>("Throw", "deliberate failure"));
        Assert.Contains("deliberate failure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_UnknownMethod_ThrowsAClearError()
    {
        var error = await Assert.ThrowsAsync<HubException>(() => _connection.InvokeAsync<object>("NoSuchMethod", "x"));
        Assert.Contains("NoSuchMethod", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_Cancelled_ThrowsAndTheConnectionStaysUsable()
    {
        using var cts = new CancellationTokenSource();
        var slow = _connection.InvokeAsync<string>("SlowEcho", "late", 5000, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        Assert.Equal("still fine", await _connection.InvokeAsync<string>("Echo", "still fine"));
    }

    [Fact]
    public async Task SendAsync_DeliversWithoutAWaitingResult()
    {
        await _connection.SendAsync("Record", "sent-1");
        await Wait.UntilAsync(() => _server.Recorder.Received.Contains("sent-1"), "the hub recorded the sent value");
    }

    [Fact]
    public async Task On_ServerInvocation_ReachesTheHandler()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var handler = _connection.On<string>("Receive", message => received.TrySetResult(message));
        await _connection.InvokeAsync("SendToCaller", "pushed");
        Assert.Equal("pushed", await Wait.ForAsync(received.Task, "the pushed message"));
    }

    [Fact]
    public async Task ClientResult_ServerAwaitsTheHandlersResult()
    {
        using var handler = _connection.On<string, string>("Answer", question => Task.FromResult("answer to " + question));
        var connectionId = await _connection.InvokeAsync<string>("WhoAmI");
        var answer = await _server.TestHubContext.Clients.Client(connectionId).InvokeAsync<string>("Answer", "q1", CancellationToken.None);
        Assert.Equal("answer to q1", answer);
    }

    [Fact]
    public async Task ClientResult_HandlerThrows_ServerGetsTheError()
    {
        using var handler = _connection.On<string, string>("Answer", new Func<string, string>(_ => throw new InvalidOperationException("cannot answer")));
        var connectionId = await _connection.InvokeAsync<string>("WhoAmI");
        var error = await Assert.ThrowsAsync<HubException>(() =>
            _server.TestHubContext.Clients.Client(connectionId).InvokeAsync<string>("Answer", "q2", CancellationToken.None));
        Assert.Contains("cannot answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientResult_NoHandler_ServerGetsAnErrorInsteadOfHanging()
    {
        var connectionId = await _connection.InvokeAsync<string>("WhoAmI");
        var error = await Assert.ThrowsAsync<HubException>(() =>
            Wait.ForAsync(_server.TestHubContext.Clients.Client(connectionId).InvokeAsync<string>("Unhandled", "q3", CancellationToken.None), "the client's error"));
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public async Task StreamAsync_ServerToClient_DeliversEveryItemThenCompletes()
    {
        var items = new List<int>();
        await foreach (var item in _connection.StreamAsync<int>("Counter", 50, 0))
        {
            items.Add(item);
        }

        Assert.Equal(Enumerable.Range(1, 50), items);
    }

    [Fact]
    public async Task StreamAsync_StoppedEarlyByItsToken_CancelsTheServersStream()
    {
        using var stop = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in _connection.StreamAsync<int>("Counter", 1000, 20, stop.Token))
            {
                if (item == 2)
                {
                    await stop.CancelAsync();
                }
            }
        });

        Assert.True(await Wait.ForAsync(_server.Recorder.StreamCancelled.Task, "the hub's stream to observe cancellation"));
    }

    [Fact]
    public async Task StreamAsChannel_CancelledByToken_CancelsTheServersStream()
    {
        using var cts = new CancellationTokenSource();
        var reader = await _connection.StreamAsChannelCoreAsync("Counter", typeof(int), [1000, 20], cts.Token);
        Assert.Equal(1, await reader.ReadAsync());
        cts.Cancel();
        Assert.True(await Wait.ForAsync(_server.Recorder.StreamCancelled.Task, "the hub's stream to observe cancellation"));
    }

    [Fact]
    public async Task UploadStream_AsyncEnumerable_ReachesTheHub()
    {
        static async IAsyncEnumerable<int> Numbers()
        {
            for (var i = 1; i <= 100; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }

        Assert.Equal(5050, await _connection.InvokeAsync<int>("Sum", Numbers()));
    }

    [Fact]
    public async Task UploadStream_ChannelReader_ReachesTheHub()
    {
        var channel = Channel.CreateUnbounded<string>();
        var call = _connection.InvokeAsync<string>("Concat", channel.Reader);
        foreach (var part in new[] { "up", "load", "ed" })
        {
            await channel.Writer.WriteAsync(part);
        }

        channel.Writer.Complete();
        Assert.Equal("uploaded", await Wait.ForAsync(call, "the concatenated upload"));
    }

    [Fact]
    public async Task UploadStream_Faulted_TheHubSeesTheError()
    {
        var channel = Channel.CreateUnbounded<string>();
        var call = _connection.InvokeAsync<string>("Concat", channel.Reader);
        await channel.Writer.WriteAsync("part");
        channel.Writer.Complete(new InvalidOperationException("producer failed"));
        var error = await Assert.ThrowsAsync<HubException>(() => Wait.ForAsync(call, "the failed upload"));
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public async Task Invoke_AfterStop_FailsWithAClearError()
    {
        await _connection.StopAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _connection.InvokeAsync<string>("Echo", "x"));
        Assert.Contains("not active", error.Message, StringComparison.Ordinal);
    }
}
