using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace OrbitMesh.Transport.Tests;

/// <summary>What the test hubs observed, for assertions.</summary>
public sealed class HubRecorder
{
    public ConcurrentQueue<string> Received { get; } = new();

#pragma warning disable SA1401, CA1051 // A field, so tests can Interlocked.Increment it.
    public long PingsReceived;
#pragma warning restore SA1401, CA1051

    public TaskCompletionSource<bool> StreamCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public class TestHub(HubRecorder recorder) : Hub
{
    public string Echo(string message) => message;

    public int Add(int a, int b) => a + b;

    public string WhoAmI() => Context.ConnectionId;

    public void Record(string value) => recorder.Received.Enqueue(value);

    public void Throw(string message) => throw new HubException(message);

    public async Task<string> SlowEcho(string message, int delayMs)
    {
        await Task.Delay(delayMs, Context.ConnectionAborted);
        return message;
    }

    public Task SendToCaller(string message) => Clients.Caller.SendAsync("Receive", message);

    public void Abort() => Context.Abort();

    public async IAsyncEnumerable<int> Counter(int count, int delayMs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 1; i <= count; i++)
            {
                if (delayMs > 0)
                {
                    await Task.Delay(delayMs, cancellationToken);
                }

                yield return i;
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                recorder.StreamCancelled.TrySetResult(true);
            }
        }
    }

    public async Task<int> Sum(IAsyncEnumerable<int> numbers)
    {
        var sum = 0;
        await foreach (var n in numbers)
        {
            sum += n;
        }

        return sum;
    }

    public async Task<string> Concat(ChannelReader<string> parts)
    {
        var all = new List<string>();
        await foreach (var part in parts.ReadAllAsync())
        {
            all.Add(part);
        }

        return string.Join("", all);
    }
}

/// <summary>Same methods; the server never pings it (for server-timeout tests).</summary>
public sealed class SilentHub(HubRecorder recorder) : TestHub(recorder);

/// <summary>Fails every connection right after the handshake: the server sends a Close message with the error.</summary>
public sealed class FailingHub : Hub
{
    public override Task OnConnectedAsync() => throw new HubException("this hub refuses every connection");
}
